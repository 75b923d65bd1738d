/** Reconnect timing of the shared connection (docs/SEMANTICS.md §2). */
export interface ReconnectOptions {
  /** Wait after the first failure. */
  readonly initialDelayMs: number;
  /** No wait is longer than this. */
  readonly maxDelayMs: number;
  /** Each further failure multiplies the wait by this. */
  readonly multiplier: number;
}

/** Realm's defaults: 1 s, doubling, capped at 5 min. */
export const defaultReconnect: ReconnectOptions = { initialDelayMs: 1_000, maxDelayMs: 300_000, multiplier: 2 };

/**
 * The longest wait a timer can hold (2^31 − 1 ms, about 24.8 days): Node fires a longer delay
 * after 1 ms instead. A server naming a longer `backoffMs` (or a `maxDelayMs` above it) made the
 * connection reconnect in a hot loop; the wait is cut to this instead.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * The fewest ms between reconnect attempts (and between token-refresh retries): the least
 * `reconnect.initialDelayMs` an app may set, and the floor of a wait a server names, so a
 * server naming `backoffMs: 0` makes the loop no hotter than the most eager configuration.
 */
export const MIN_RETRY_DELAY_MS = 10;

/** The largest share of a delay that jitter removes. */
export const maxJitterShare = 0.25;

/**
 * `interval` minus a jitter of up to `share` of it, in whole milliseconds (timers count in
 * them; a fraction would drift against a clock that adds delays up). `random` is in [0, 1).
 * For an integer `interval` the result is in [(1 - share) × interval, interval].
 */
export function jitter(interval: number, share: number, random: number): number {
  return Math.ceil(interval - random * share * interval);
}

/**
 * The wait before the next attempt: `base` minus a jitter of up to a quarter of it, so many
 * clients dropped together do not reconnect together.
 */
export function jittered(base: number, random: number): number {
  return jitter(base, maxJitterShare, random);
}

/** The base after one more failure: multiplied, never above the cap, in whole milliseconds. */
export function grown(base: number, options: ReconnectOptions): number {
  return Math.min(options.maxDelayMs, Math.round(base * options.multiplier));
}
