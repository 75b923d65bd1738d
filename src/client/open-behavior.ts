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

/**
 * Realm's `OpenRealmBehaviorConfiguration`. realm-js's own spellings are accepted too, so its
 * configurations port unchanged: `timeOut` for `timeOutMs`, `openLocalRealm` for `openLocal`.
 */
export interface OpenRealmBehaviorConfiguration {
  /** `downloadBeforeOpen`: resolve once the server's state is in the file; `openImmediately` (default): at once. */
  readonly type: 'downloadBeforeOpen' | 'openImmediately';
  /** How long to wait for the download (no limit without it). */
  readonly timeOutMs?: number;
  /** realm-js's name for {@link timeOutMs}; give one of them. */
  readonly timeOut?: number;
  /**
   * After the time-out: `openLocal` (realm-js: `openLocalRealm`) opens what the file holds;
   * `throwException` (default) rejects with a `TimeoutError`.
   */
  readonly timeOutBehavior?: 'openLocal' | 'openLocalRealm' | 'throwException';
}

const timeOutSchema = num({ min: 0, max: 2_147_483_647, integer: true, unit: 'ms' });

/** The schema of one behaviour (a `TypeError` names a bad field). */
export const openBehaviorSchema: OptionSchema = obj({
  type: { schema: oneOf(['downloadBeforeOpen', 'openImmediately']), required: true },
  timeOutMs: timeOutSchema,
  timeOut: timeOutSchema,
  timeOutBehavior: oneOf(['openLocal', 'openLocalRealm', 'throwException']),
});

/** Refuses a behaviour that gives both spellings of its time-out (after the schema checked each). */
export function checkOpenBehavior(path: string, behavior: OpenRealmBehaviorConfiguration | undefined): void {
  if (behavior?.timeOutMs !== undefined && behavior.timeOut !== undefined) {
    throw new TypeError(`Realm.open: ${path} gives both timeOutMs and realm-js's timeOut: give one`);
  }
}

/** The time-out of `behavior`, whichever spelling gave it. */
const timeOutOf = (behavior: OpenRealmBehaviorConfiguration): number | undefined => behavior.timeOutMs ?? behavior.timeOut;

/** Whether `behavior` opens what the file holds after its time-out. */
const opensLocal = (behavior: OpenRealmBehaviorConfiguration): boolean => behavior.timeOutBehavior === 'openLocal' || behavior.timeOutBehavior === 'openLocalRealm';

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
      timeoutMs: timeOutOf(behavior),
      timeoutReason: () => (deadline = new TimeoutError(`Realm.open: the download did not complete in ${timeOutOf(behavior)} ms.`)),
      signal,
    });
    return 'downloaded';
  } catch (error) {
    // Decided by what ended it: an abort that came first stays an abort, whatever fired after.
    if (deadline !== undefined && error === deadline && opensLocal(behavior)) return 'timedOut';
    throw error;
  } finally {
    subscription.unsubscribe();
  }
}
