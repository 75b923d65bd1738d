/**
 * Open after download (Realm's `newRealmFileBehavior` / `existingRealmFileBehavior`): what
 * `Realm.open` waits for before it resolves, and what it does when that takes too long or is
 * cancelled. The waiting is the session's own `waitForDownload` (a MARK round trip: the server's
 * state as of the open is in the file); this module only decides when to stop waiting.
 */
import type { SyncProgress } from '../../machines/types.js';
import { num, obj, oneOf, type OptionSchema } from '../config/option-schema.js';
import type { Clock } from '../time/clock.js';
import { TimeoutError } from './realm-js-names.js';
import { waitWithDeadline } from './deadline.js';
import type { SyncSession } from './sync-session.js';

/** Realm's `OpenRealmBehaviorConfiguration`. */
export interface OpenRealmBehaviorConfiguration {
  /** `downloadBeforeOpen`: resolve once the server's state is in the file; `openImmediately` (default): at once. */
  readonly type: 'downloadBeforeOpen' | 'openImmediately';
  /** How long to wait for the download (no limit without it). */
  readonly timeOutMs?: number;
  /** After `timeOutMs`: `openLocal` opens what the file holds; `throwException` (default) rejects with a `TimeoutError`. */
  readonly timeOutBehavior?: 'openLocal' | 'throwException';
}

/** The schema of one behaviour (a `TypeError` names a bad field). */
export const openBehaviorSchema: OptionSchema = obj({
  type: { schema: oneOf(['downloadBeforeOpen', 'openImmediately']), required: true },
  timeOutMs: num({ min: 0, max: 2_147_483_647, integer: true, unit: 'ms' }),
  timeOutBehavior: oneOf(['openLocal', 'throwException']),
});

/** What an open waits for, and who hears its progress. */
export interface DownloadBeforeOpen {
  readonly session: SyncSession;
  readonly behavior: OpenRealmBehaviorConfiguration;
  readonly clock: Clock;
  readonly signal: AbortSignal | undefined;
  /** Every download report while waiting (`onProgress` and the promise's `.progress` callbacks). */
  readonly progress: (report: SyncProgress) => void;
}

/**
 * Waits as `behavior` says: resolves `'downloaded'`, or `'timedOut'` for `openLocal` after
 * `timeOutMs`; rejects with a `TimeoutError` (`throwException`), the signal's reason when it is
 * aborted, or the session's error. The caller closes the handle on a rejection.
 */
export async function downloadBeforeOpen(open: DownloadBeforeOpen): Promise<'downloaded' | 'timedOut'> {
  const { session, behavior, clock, signal } = open;
  let deadline: TimeoutError | undefined;
  const subscription = session.getProgressStream('download', 'reportIndefinitely').subscribe(open.progress);
  try {
    await waitWithDeadline((aborted) => session.waitForDownload(aborted), {
      clock,
      timeoutMs: behavior.timeOutMs,
      timeoutReason: () => (deadline = new TimeoutError(`Realm.open: the download did not complete in ${behavior.timeOutMs} ms.`)),
      signal,
    });
    return 'downloaded';
  } catch (error) {
    // Decided by what ended it: an abort that came first stays an abort, whatever fired after.
    if (deadline !== undefined && error === deadline && behavior.timeOutBehavior === 'openLocal') return 'timedOut';
    throw error;
  } finally {
    subscription.unsubscribe();
  }
}
