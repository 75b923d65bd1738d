/**
 * Which HLC stamps the server lets into a history. A stamp is forever: every replica that
 * downloads it moves its clock to at least it, so one far in the future (or with a counter no
 * clock reaches) would drag every later write of the partition there. No I/O, no clock of its
 * own: the caller passes the server's time.
 */
import type { Hlc } from '../protocol/changeset.codec.js';
import { MAX_HLC_COUNTER } from '../store/hlc.js';

/**
 * Why the server refuses a changeset stamped `hlc` when its own clock reads `serverNowMs`, or
 * `undefined` if it takes it: a wall more than `maxClockSkewMs` ahead of the server's clock, or
 * a counter beyond {@link MAX_HLC_COUNTER}, which a conforming clock never issues (it carries
 * into the wall instead). A wall behind the server's clock is fine: clients go offline.
 */
export function stampProblem(hlc: Hlc, serverNowMs: number, maxClockSkewMs: number): string | undefined {
  if (hlc.wall - serverNowMs > maxClockSkewMs) {
    return `its HLC wall ${hlc.wall} runs ${hlc.wall - serverNowMs} ms ahead of the server's clock (${serverNowMs}); at most ${maxClockSkewMs} ms are accepted`;
  }
  if (hlc.counter > MAX_HLC_COUNTER) return `its HLC counter ${hlc.counter} is beyond ${MAX_HLC_COUNTER}, the most an HLC issues`;
  return undefined;
}

/**
 * For a stamp {@link stampProblem} refused for its wall: the milliseconds until the server's
 * clock is within `maxClockSkewMs` of it, when the same changeset would be taken (what the
 * `clockSkew` error names in `backoffMs`). `undefined` for a stamp refused for its counter, which
 * no wait makes acceptable, or one not refused for its wall.
 */
export function stampBackoffMs(hlc: Hlc, serverNowMs: number, maxClockSkewMs: number): number | undefined {
  if (hlc.counter > MAX_HLC_COUNTER) return undefined;
  const wait = hlc.wall - serverNowMs - maxClockSkewMs;
  return wait > 0 && Number.isSafeInteger(wait) ? wait : undefined;
}
