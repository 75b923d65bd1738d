/** The option validator's pieces: which names it suggests for an unknown key, and that describing a value never throws. */
import { describe, expect, it } from 'vitest';
import { describeValue, nearestName, num, obj, validateOptions } from '../../src/config/option-schema.js';

describe('nearestName', () => {
  const names = ['initialDelayMs', 'maxDelayMs', 'multiplier'];
  it('suggests a typo, a case slip, or a name cut short or run on; nothing for a far-off key', () => {
    expect(nearestName('initialDelay', names)).toBe('initialDelayMs');
    expect(nearestName('maxdelayms', names)).toBe('maxDelayMs');
    expect(nearestName('multipler', names)).toBe('multiplier');
    expect(nearestName('multiplierFactor', names)).toBe('multiplier');
    expect(nearestName('colour', names)).toBeUndefined();
    expect(nearestName('x', names)).toBeUndefined();
    expect(nearestName('m'.repeat(10_000), names)).toBeUndefined();
  });
});

describe('validateOptions', () => {
  it('names the nested path of a bad value and of an unknown key', () => {
    const schema = obj({ a: obj({ bMs: num({ min: 1, max: 10, unit: 'ms' }) }) });
    expect(() => validateOptions('X', schema, { a: { bMs: 11 } })).toThrow(new TypeError('X: a.bMs must be a number from 1 to 10 ms, got 11'));
    expect(() => validateOptions('X', schema, { a: { bM: 1 } })).toThrow(new TypeError('X: unknown option a.bM; did you mean a.bMs?'));
    expect(() => validateOptions('X', schema, { a: [] })).toThrow(new TypeError('X: a must be an object, got an array'));
    validateOptions('X', schema, { a: { bMs: 10 } });
  });

  it('describes any value without throwing (a symbol, an object whose toString throws)', () => {
    const hostile = { toString: () => { throw new Error('no'); } };
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
    expect(describeValue(hostile)).toBe('an object');
    expect(describeValue(Object.create(null))).toBe('an object');
    expect(describeValue(10n)).toBe('10n');
  });
});
