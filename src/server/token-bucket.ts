/**
 * A token bucket: `ratePerSecond` tokens a second, at most `capacity` saved up. Pure: the
 * caller passes the time, so it is tested without clocks.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly capacity: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.last = nowMs;
  }

  /** Takes one token at `nowMs`; false when there is none (the caller is over the rate). */
  take(nowMs: number): boolean {
    // A clock that steps back refills nothing rather than draining.
    const elapsed = Math.max(0, nowMs - this.last);
    this.last = Math.max(this.last, nowMs);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1_000);
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
