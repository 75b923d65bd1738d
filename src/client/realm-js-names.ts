/**
 * The realm-js names of a session's API, as thin delegations to the idiomatic one (README,
 * "Coming from realm-js"), so that code written for realm-js ports with few changes. What they
 * keep beside the session: which subscription each callback holds, because realm-js removes a
 * notification by the callback it was added with.
 */
import type { ConnectionState, Direction, ProgressMode, SyncProgress } from '../../machines/types.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { Stream } from './stream.js';
import { waitWithDeadline } from './deadline.js';

/** realm-js's `ConnectionNotificationCallback`: the new state first, then the old one. */
export type ConnectionNotificationCallback = (newState: ConnectionState, oldState: ConnectionState) => void;

/** realm-js's `ProgressNotificationCallback`. */
export type ProgressNotificationCallback = (progress: SyncProgress) => void;

/** A wait of realm-js's `uploadAllLocalChanges` / `downloadAllServerChanges` that ran out of time. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** What the realm-js names need of a session. */
export interface RealmJsSession {
  readonly connectionState: ConnectionState;
  readonly connectionStateChanges: Stream<{ readonly previous: ConnectionState; readonly current: ConnectionState }>;
  getProgressStream(direction: Direction, mode: ProgressMode): Stream<SyncProgress>;
  waitForUpload(signal?: AbortSignal): Promise<void>;
  waitForDownload(signal?: AbortSignal): Promise<void>;
}

/** The callbacks one session's realm-js names registered, and how to end each. */
export class RealmJsNames {
  private readonly connection = new Map<ConnectionNotificationCallback, Array<() => void>>();
  private readonly progress = new Map<ProgressNotificationCallback, Array<() => void>>();

  constructor(
    private readonly session: RealmJsSession,
    /** Where a timeout's timer is set: the app's clock (simulated in a simulation). */
    private readonly clock: Clock = systemClock,
  ) {}

  addConnectionNotification(callback: ConnectionNotificationCallback): void {
    if (typeof callback !== 'function') throw new TypeError('addConnectionNotification: callback must be a function');
    const subscription = this.session.connectionStateChanges.subscribe(({ previous, current }) => callback(current, previous));
    this.connection.set(callback, [...(this.connection.get(callback) ?? []), () => subscription.unsubscribe()]);
  }

  removeConnectionNotification(callback: ConnectionNotificationCallback): void {
    for (const end of this.connection.get(callback) ?? []) end();
    this.connection.delete(callback);
  }

  /**
   * Notes a progress registration by its callback, for {@link removeProgressNotification};
   * returns what forgets it again (its token's `invalidate`, or the notifier's own end), so a
   * registration ended another way holds nothing here.
   */
  noteProgress(callback: ProgressNotificationCallback, end: () => void): () => void {
    this.progress.set(callback, [...(this.progress.get(callback) ?? []), end]);
    return () => {
      const left = (this.progress.get(callback) ?? []).filter((e) => e !== end);
      if (left.length === 0) this.progress.delete(callback);
      else this.progress.set(callback, left);
    };
  }

  /** How many callbacks hold registrations (connection, progress): what a leak would grow. */
  get registeredCallbacks(): number {
    return this.connection.size + this.progress.size;
  }

  removeProgressNotification(callback: ProgressNotificationCallback): void {
    for (const end of this.progress.get(callback) ?? []) end();
    this.progress.delete(callback);
  }

  /** `waitForUpload` or `waitForDownload`, rejected with a {@link TimeoutError} after `timeoutMs` (no limit without one). */
  waitWithTimeout(direction: Direction, timeoutMs: number | undefined): Promise<void> {
    const wait = (signal?: AbortSignal): Promise<void> => (direction === 'upload' ? this.session.waitForUpload(signal) : this.session.waitForDownload(signal));
    if (timeoutMs === undefined) return wait();
    const name = direction === 'upload' ? 'uploadAllLocalChanges' : 'downloadAllServerChanges';
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0 || timeoutMs > 2_147_483_647) {
      return Promise.reject(new TypeError(`${name}: timeoutMs must be a number of ms from 0 to 2147483647, got ${String(timeoutMs)}`));
    }
    const what = direction === 'upload' ? 'Uploading changes' : 'Downloading changes';
    return waitWithDeadline(wait, { clock: this.clock, timeoutMs, timeoutReason: () => new TimeoutError(`${what} did not complete in ${timeoutMs} ms.`) });
  }
}
