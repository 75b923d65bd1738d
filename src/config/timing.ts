import { MAX_TIMER_DELAY_MS, MIN_RETRY_DELAY_MS } from '../../machines/backoff.js';
import { num, type OptionSchema } from './option-schema.js';

/**
 * A delay a timer will hold, in ms: at least `min` (below it a retry or ping loop runs hot:
 * `keepalive.pingIntervalMs: 0` flapped a connection 172 times in 2 s), at most 2^31 − 1
 * (Node fires a longer timer after 1 ms instead).
 */
export function timerMs(min: number): OptionSchema {
  return num({ min, max: MAX_TIMER_DELAY_MS, unit: 'ms' });
}

export { MIN_RETRY_DELAY_MS };

/** The shortest keepalive ping interval and pong timeout: a round trip on a loaded machine fits in it. */
export const MIN_KEEPALIVE_MS = 50;
