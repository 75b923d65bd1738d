import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/server/token-bucket.js';

describe('token bucket (maxFramesPerSecond)', () => {
  it('allows a burst of its capacity, then its rate, and saves up no more than its capacity', () => {
    const bucket = new TokenBucket(100, 100, 0);
    let taken = 0;
    for (let i = 0; i < 1_000; i++) if (bucket.take(0)) taken++;
    expect(taken).toBe(100);
    // 10 ms at 100 a second: one more.
    expect(bucket.take(10)).toBe(true);
    expect(bucket.take(10)).toBe(false);
    // A long pause refills to the capacity, not beyond.
    taken = 0;
    for (let i = 0; i < 1_000; i++) if (bucket.take(60_000)) taken++;
    expect(taken).toBe(100);
  });

  it('over any ten seconds takes at most capacity + rate × 10 s, whatever the arrival times', () => {
    const bucket = new TokenBucket(50, 50, 0);
    let taken = 0;
    // Arrivals every 0.5 ms, far above the rate: bounded loop of 20,000.
    for (let i = 0; i <= 20_000; i++) if (bucket.take(i / 2)) taken++;
    expect(taken).toBeLessThanOrEqual(50 + 50 * 10);
    expect(taken).toBeGreaterThanOrEqual(50 * 10);
  });

  it('a clock that steps back refills nothing', () => {
    const bucket = new TokenBucket(10, 1, 1_000);
    expect(bucket.take(1_000)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(999)).toBe(false);
    expect(bucket.take(1_100)).toBe(true);
  });
});
