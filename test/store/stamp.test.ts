import { describe, expect, it } from 'vitest';
import { compareStamps, stampOf, type Stamp } from '../../src/store/stamp.js';

const s = (wall: number, counter: number, origin: string, opIndex: number): Stamp => ({ wall, counter, origin, opIndex });

describe('stamps', () => {
  it('compare lexicographically: wall, counter, origin, opIndex', () => {
    const ordered = [s(1, 9, 'z', 9), s(2, 0, 'a', 0), s(2, 1, 'a', 0), s(2, 1, 'b', 0), s(2, 1, 'b', 1), s(3, 0, 'a', 0)];
    for (const [i, a] of ordered.entries()) {
      for (const [j, b] of ordered.entries()) expect(Math.sign(compareStamps(a, b))).toBe(Math.sign(i - j));
    }
  });

  it('compare origins by code units, not by locale', () => {
    expect(compareStamps(s(1, 0, 'B', 0), s(1, 0, 'a', 0))).toBeLessThan(0); // 'B' < 'a' in code units
    expect(compareStamps(s(1, 0, 'ä', 0), s(1, 0, 'z', 0))).toBeGreaterThan(0);
  });

  it('a changeset stamps its operations with its HLC, origin and the operation index', () => {
    expect(stampOf({ hlc: { wall: 5, counter: 2 }, origin: 'f1' }, 3)).toEqual(s(5, 2, 'f1', 3));
  });
});
