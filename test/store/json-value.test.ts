import { describe, expect, it } from 'vitest';
import type { Json } from '../../src/protocol/json.codec.js';
import { deepFreeze, jsonValueProblem, ownValue } from '../../src/store/json-value.js';

describe('field values are JSON that survives a round trip', () => {
  it('accepts JSON values, shared (non-circular) sub-objects and null-prototype objects', () => {
    const shared = { k: 1 };
    const bare = Object.assign(Object.create(null) as Record<string, Json>, { a: 1 });
    for (const v of [null, true, 0, -1.5, 'text', '', [], {}, [1, 'a', null, [{ b: false }]], { a: { b: { c: [] } } }, [shared, shared], bare]) {
      expect(jsonValueProblem(v), JSON.stringify(v)).toBeUndefined();
    }
  });

  it('refuses what JSON would silently change or drop, and says where', () => {
    class Point {
      x = 1;
    }
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /undefined/],
      [Number.NaN, /NaN/],
      [Number.POSITIVE_INFINITY, /Infinity/],
      [() => 1, /function/],
      [Symbol('s'), /symbol/],
      [10n, /bigint/],
      [new Date(0), /a Date/],
      [new Map(), /a Map/],
      [new Point(), /a Point/],
      [{ toJSON: () => 1 }, /toJSON/],
      [[1, , 3], /\[1\] is a hole/],
      [{ a: [1, { b: undefined }] }, /value\.a\[1\]\.b is of type undefined/],
      [circular, /value\.self refers back to itself/],
    ];
    for (const [v, message] of cases) expect(jsonValueProblem(v)).toMatch(message);
  });

  it('reports nesting too deep for the stack instead of crashing', () => {
    let deep: Json = 0;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(jsonValueProblem(deep)).toMatch(/nested too deeply/);
  });

  it('deepFreeze freezes everything inside', () => {
    const v = deepFreeze({ a: [1, { b: 2 }] } as Json) as { a: [number, { b: number }] };
    expect(Object.isFrozen(v)).toBe(true);
    expect(Object.isFrozen(v.a)).toBe(true);
    expect(Object.isFrozen(v.a[1])).toBe(true);
  });

  it('ownValue ignores inherited properties', () => {
    expect(ownValue({ a: 1 }, 'constructor')).toBeUndefined();
    expect(ownValue({ a: 1 }, 'a')).toBe(1);
  });
});
