/**
 * The clock port: the time the client runtime and the server read, and every timer they set
 * (backoff, keepalive, linger, connect timeout, token refresh retry, socket grace periods).
 * The default is the process's own ({@link systemClock}); `sync-session/testing` puts a
 * simulated clock behind the same port, so that a schedule of hours runs in milliseconds and
 * the same seed fires the same timers in the same order.
 */

/** A pending timer of a {@link Clock}; opaque to its callers. */
export type TimerHandle = { readonly __timer: unique symbol } | NodeJS.Timeout;

/** Time and timers. */
export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
  /** Calls `fn` once, `delayMs` from now (0 for the next turn). */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer; a fired or cancelled one is ignored. */
  clearTimeout(handle: TimerHandle): void;
  /**
   * Whether a pending timer keeps the process alive (Node's `ref`/`unref`); a clock whose timers
   * never hold a process (a simulated one) leaves it out.
   */
  hold?(handle: TimerHandle, hold: boolean): void;
}

/** The process's clock: `Date.now` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  hold: (handle, hold) => {
    const timer = handle as NodeJS.Timeout;
    if (hold) timer.ref();
    else timer.unref();
  },
};

/** True for an object with the three methods of a {@link Clock} (what `clock` options accept beside a plain `() => number`). */
export function isClock(value: unknown): value is Clock {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.now === 'function' && typeof c.setTimeout === 'function' && typeof c.clearTimeout === 'function';
}
