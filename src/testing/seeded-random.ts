/**
 * Seeded randomness for simulations: every choice of a run (schedules, delays, torn writes, file
 * idents) comes from one of these, so a seed gives the same run. `pure-rand`'s xoroshiro128+
 * (fast-check's own generator) does the arithmetic.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomSource } from '../time/random-source.js';

/** A seeded generator of integers, choices and bytes. */
export class SeededRandom {
  private readonly generator: ReturnType<typeof xoroshiro128plus>;

  constructor(readonly seed: number) {
    this.generator = xoroshiro128plus(seed | 0);
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return uniformInt(this.generator, min, max);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.int(0, 999_999) < p * 1_000_000;
  }

  /** One of `items` (not empty). */
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  /** `n` bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }

  /** An independent generator drawn from this one (a machine's own stream of choices). */
  fork(): SeededRandom {
    return new SeededRandom(this.int(-(2 ** 31), 2 ** 31 - 1));
  }

  /** This generator as the runtime's randomness port. */
  get source(): RandomSource {
    return (n) => this.bytes(n);
  }
}
