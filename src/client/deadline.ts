/**
 * A session wait with a deadline and a caller's signal: one `AbortSignal` that the deadline (a
 * timer on the app's clock) or the caller aborts, and the wait raced against it, so the call
 * ends when its time is up even if the session's chart never answers the wait's abort.
 */
import type { Clock } from '../time/clock.js';

/** What ended a {@link waitWithDeadline} that did not resolve. */
export interface DeadlineOptions {
  readonly clock: Clock;
  /** ms until `timeoutReason()` aborts it; no deadline without one. */
  readonly timeoutMs?: number | undefined;
  /** The error the deadline aborts with. */
  readonly timeoutReason: () => Error;
  /** The caller's own signal, if any: its abort ends the wait with its reason. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `wait` with a signal that the deadline or `options.signal` aborts; rejects with the
 * reason of whichever came first (an `Error` the caller can compare with `timeoutReason`'s).
 * The timer and the listener are gone once it settles.
 */
export async function waitWithDeadline(wait: (signal: AbortSignal) => Promise<void>, options: DeadlineOptions): Promise<void> {
  const { clock, timeoutMs, signal } = options;
  if (signal?.aborted) throw signal.reason;
  const controller = new AbortController();
  const timer = timeoutMs === undefined ? undefined : clock.setTimeout(() => controller.abort(options.timeoutReason()), timeoutMs);
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const stopped = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }));
  stopped.catch(() => undefined);
  try {
    await Promise.race([wait(controller.signal), stopped]);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
