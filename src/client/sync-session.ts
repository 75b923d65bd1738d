import type { Actor } from 'xstate';
import { clientError } from '../../machines/client-error-codes.js';
import type { SessionEvent } from '../../machines/session.types.js';
import { connectionStateOf, isActiveState, sessionStateOf } from '../../machines/state.js';
import type { ConnectionState, Direction, ErrorAction, ProgressMode, SessionState, SyncProgress } from '../../machines/types.js';
import type { ServerMessage } from '../protocol/index.js';
import type { Logger } from '../store/logger.js';
import type { RealmFile } from '../store/realm-file.js';
import type { Clock } from '../time/clock.js';
import type { InspectObserver } from './app-config.js';
import { ClientResetRunner } from './client-reset-runner.js';
import { InvalidActionTokenError, SessionClosedError, SyncError, type ErrorActionToken } from './errors.js';
import { defaultServerLimits, ServerTerms, type ServerLimits } from './server-terms.js';
import { createSessionActor, type runtimeSessionMachine } from './session-actor.js';
import { SessionBinding } from './session-binding.js';
import { reportSyncError } from './session-error-report.js';
import { SessionFile } from './session-file.js';
import { receive } from './session-inbox.js';
import type { ConnectionMember, SharedConnection } from './shared-connection.js';
import { Broadcast, Stream, type Sink } from './stream.js';
import type { SyncConfiguration } from './sync-config.js';
import { runUploads } from './upload-runner.js';
import type { User } from './user.js';
import { canonicalHttpHeaders, type HttpHeaders } from './http-headers.js';
import { RealmJsNames, type ConnectionNotificationCallback } from './realm-js-names.js';

/** One change of `connectionState`, in the order (previous, current). */
export interface ConnectionStateChange {
  readonly previous: ConnectionState;
  readonly current: ConnectionState;
}

/** Ends a progress registration made with `addProgressNotification`. */
export interface ProgressNotificationToken {
  invalidate(): void;
}

/** The session of each synced realm handle (`Realm.syncSession` and `SyncSession.forRealm` read it). */
export const realmSessions = new WeakMap<object, SyncSession>();

/** What runs an error's action: `app.syncManager`. */
export interface ErrorActionRunner {
  runErrorAction(token: ErrorActionToken): string | undefined;
}

/** What a session needs from the runtime around it. */
export interface SessionHost {
  /** The shared connection of `user`'s sessions with these custom headers (canonical form). */
  connectionFor(user: User, headers: HttpHeaders): SharedConnection;
  readonly logger: Logger;
  readonly inspect?: InspectObserver | undefined;
  /** Wait before retrying a token refresh that failed for a network reason. */
  readonly refreshRetryDelayMs?: number;
  /** The timers of the session's chart (retries); Node's by default. */
  readonly clock?: Clock;
  /** The token of an error's action: an object only the runtime that issued it will run. */
  readonly issueErrorActionToken: (action: ErrorAction, realmPath: string) => ErrorActionToken;
  /** Keeps an error's action to run at the next app start. */
  readonly recordErrorAction?: (token: ErrorActionToken) => void;
  /** Forgets the recorded action of `realmPath`: the server accepted the session again. */
  readonly clearErrorAction?: (realmPath: string) => void;
  /** The app-wide handler of errors of sessions without their own `onError`. */
  readonly onSyncError?: ((session: SyncSession, error: SyncError) => void) | undefined;
  /** The server's limits as its last IDENT named them, shared by the app's sessions (updated here). */
  readonly serverLimits?: ServerLimits;
}

/** Why a wait on a session the runtime let go of (`app.close()`, an error action run) rejects. */
const disposedMessage = 'the app closed or let go of this session';

let nextId = 0;
const newId = (prefix: string): string => `${prefix}${++nextId}`;

/**
 * A sync session (the seeds' `Session` / `RLMSyncSession`): the session chart of
 * `machines/session.machine.ts` running as an actor. This class is its public face — state,
 * streams, waits, pause and resume — and turns every happening (API call, local commit, socket
 * message) into one event for the actor; the state you read is the chart's. Its effects live
 * beside it, one role per file: the binding to the shared connection (`session-binding.ts`),
 * the upload actor (`upload-runner.ts`), the client reset (`client-reset-runner.ts`), the file
 * (`session-file.ts`) and what server messages do (`session-inbox.ts`).
 */
export class SyncSession implements ConnectionMember {
  readonly memberId: string;
  private readonly actor: Actor<typeof runtimeSessionMachine>;
  private readonly binding: SessionBinding;
  private readonly file: SessionFile;
  private readonly terms: ServerTerms;
  private readonly reset: ClientResetRunner;
  /** The promises of pending waits, settled when the chart's waiter says so. */
  private readonly waits = new Map<string, { resolve: () => void; reject: (error: unknown) => void }>();
  /** The subscribers of progress streams, fed by the chart's notifiers. */
  private readonly sinks = new Map<string, Sink<SyncProgress>>();
  private readonly connectionChanges: Broadcast<ConnectionStateChange>;
  private readonly stopUserListening: () => void;
  private readonly realmJs: RealmJsNames;

  /** @internal Sessions are made by the runtime (`Realm.open`), never by users. */
  constructor(
    readonly realmPath: string,
    private readonly config: SyncConfiguration,
    store: RealmFile,
    private readonly host: SessionHost,
  ) {
    this.memberId = realmPath;
    this.terms = new ServerTerms(host.serverLimits ?? defaultServerLimits());
    this.file = new SessionFile(this.terms, (event) => this.send(event));
    this.reset = new ClientResetRunner(config.clientReset, host.logger, realmPath);
    this.connectionChanges = new Broadcast<ConnectionStateChange>(this.observerFailed);
    this.realmJs = new RealmJsNames(this, host.clock);
    // The user's shared connection, made up front: an actor is never created inside an action.
    // `{}` when none; `Realm.open` made given ones canonical already (canonical twice is the same).
    const headers = canonicalHttpHeaders(config.customHttpHeaders);
    this.binding = new SessionBinding(this, host.connectionFor(config.user, headers));
    this.actor = createSessionActor(
      {
        joinConnection: () => this.binding.join(),
        leaveConnection: () => this.binding.leave(),
        bind: () => {
          const store = this.file.current;
          if (store !== undefined) this.binding.bind(store, this.config.partition, this.user.accessToken);
        },
        reconnect: () => this.binding.reconnect(),
        reportError: ({ error, action }) =>
          queueMicrotask(() =>
            reportSyncError(
              {
                realmPath,
                logger: host.logger,
                issueErrorActionToken: host.issueErrorActionToken,
                recordErrorAction: host.recordErrorAction,
                // The session's own handler first, else the app's (`App({ onSyncError })`), else the logger.
                onError: config.onError !== undefined ? (syncError) => config.onError?.(this, syncError) : host.onSyncError === undefined ? undefined : (syncError) => host.onSyncError?.(this, syncError),
              },
              error,
              action,
            ),
          ),
        refreshAccessToken: () => this.user.refreshAccessToken(headers),
        runClientReset: async (signal) => {
          await this.reset.run(this.file.current, signal);
          // The file's counters jumped: notifiers hear it while the chart is still resetting.
          if (!signal.aborted) this.file.reportProgress();
        },
        finishClientReset: (signal) => this.reset.finish(this.file.current, signal),
        startUploads: (sendBack) => {
          const store = this.file.current;
          if (store === undefined) return () => {};
          return runUploads({
            store,
            binding: this.binding,
            limits: this.terms.limits,
            fail: (error) => sendBack({ type: 'error', error }),
          });
        },
        sendMark: (id) => {
          this.binding.send({ type: 'mark', requestId: id });
        },
        settle: (settled) => {
          const wait = this.waits.get(settled.id);
          this.waits.delete(settled.id);
          if (wait === undefined) return;
          if (settled.outcome === 'done') wait.resolve();
          else if (settled.outcome === 'aborted') wait.reject(settled.reason);
          else if (settled.outcome === 'failed') wait.reject(new SyncError(settled.error));
          else wait.reject(new SessionClosedError());
        },
        // User callbacks run after the step, so one calling back into the session is safe.
        report: (id, progress) => queueMicrotask(() => this.sinks.get(id)?.next(progress)),
        finish: (id) =>
          queueMicrotask(() => {
            const sink = this.sinks.get(id);
            this.sinks.delete(id);
            sink?.complete();
          }),
      },
      {
        label: { realmPath, userId: config.user.id, partition: config.partition },
        ...(config.stopPolicy === undefined ? {} : { stopPolicy: config.stopPolicy }),
        ...(config.clientReset === undefined ? {} : { clientResetMode: config.clientReset.mode }),
        ...(config.cancelWaitsOnNonFatalError === undefined ? {} : { cancelWaitsOnNonFatalError: config.cancelWaitsOnNonFatalError }),
        ...(host.refreshRetryDelayMs === undefined ? {} : { refreshRetryDelayMs: host.refreshRetryDelayMs }),
      },
      host.inspect,
      host.clock,
    );
    // The chart announces each change of its connection region (after the step that made it).
    this.actor.on('connectionState.changed', ({ previous, current }) => this.connectionChanges.push({ previous, current }));
    this.actor.start();
    this.file.attach(store);
    this.stopUserListening = this.user.listen({
      loggedOut: () => this.send({ type: 'user.loggedOut' }),
      loggedIn: () => {
        this.send({ type: 'user.loggedIn', tokenExpired: this.user.accessTokenExpired });
      },
    });
  }

  /** The partition it syncs. */
  get partition(): string {
    return this.config.partition;
  }

  /** The user that owns the session. */
  get user(): User {
    return this.config.user;
  }

  /** `active | dying | inactive | waitingForAccessToken | paused` (docs/SEMANTICS.md §1). */
  get state(): SessionState {
    return sessionStateOf(this.actor.getSnapshot());
  }

  /** `disconnected | connecting | connected` (docs/SEMANTICS.md §2). */
  get connectionState(): ConnectionState {
    return connectionStateOf(this.actor.getSnapshot());
  }

  /** True in `active` and `dying`. */
  get isActive(): boolean {
    return isActiveState(this.actor.getSnapshot());
  }

  /** Every change of `connectionState`, as `{ previous, current }`. */
  get connectionStateChanges(): Stream<ConnectionStateChange> {
    return this.connectionChanges.stream;
  }

  /** The sync configuration while the session is valid; `undefined` once its user logged out. */
  configuration(): SyncConfiguration | undefined {
    return this.valid ? this.config : undefined;
  }

  /** Valid while the runtime holds the session and its user is not logged out (the chart says which). */
  private get valid(): boolean {
    return !this.disposed && !this.actor.getSnapshot().matches({ lifecycle: { inactive: 'loggedOut' } });
  }

  /** Stops syncing until `resume()`; sticky across reopening the store. */
  pause(): void {
    this.send({ type: 'pause' });
  }

  /** Syncs again after `pause()` (or after an error left the session inactive). */
  resume(): void {
    this.send({ type: 'resume', tokenExpired: this.user.accessTokenExpired });
  }

  /** Skips the reconnect delay now (docs/SEMANTICS.md §2). */
  reconnect(): void {
    // The chart decides: only a session on the connection may skip its delay.
    this.send({ type: 'reconnect' });
  }

  /** Resolves once every local change committed before the call is acknowledged by the server. */
  waitForUpload(signal?: AbortSignal): Promise<void> {
    return this.wait('upload', signal);
  }

  /** Resolves once every server change that existed when the server answered is integrated locally. */
  waitForDownload(signal?: AbortSignal): Promise<void> {
    return this.wait('download', signal);
  }

  /** A stream of progress reports; each subscription registers its own notifier. */
  getProgressStream(direction: Direction, mode: ProgressMode): Stream<SyncProgress> {
    checkProgressArguments(direction, mode);
    return new Stream<SyncProgress>((sink) => {
      // Registered even on a session that ended for good: the chart reports once and ends it.
      // A session the runtime let go of has no chart running: its streams end at once.
      if (this.disposed) {
        sink.complete();
        return () => {};
      }
      const id = newId('p');
      this.sinks.set(id, sink);
      this.send({ type: 'notifier.add', id, direction, mode });
      return () => {
        if (this.sinks.delete(id)) this.send({ type: 'notifier.remove', id });
      };
    }, this.observerFailed);
  }

  /**
   * Calls `callback` with progress reports until the token is invalidated (or, as in realm-js,
   * {@link removeProgressNotification} is called with the same callback); `undefined` for an
   * invalid session.
   */
  addProgressNotification(direction: Direction, mode: ProgressMode, callback: (progress: SyncProgress) => void): ProgressNotificationToken | undefined {
    if (typeof callback !== 'function') throw new TypeError('addProgressNotification: callback must be a function');
    if (!this.valid) return undefined;
    let forget = (): void => {};
    let ended = false;
    const subscription = this.getProgressStream(direction, mode).subscribe({
      next: callback,
      // A notifier that ended by itself (its work done, the session gone) is forgotten too.
      complete: () => {
        ended = true;
        forget();
      },
    });
    if (ended) return { invalidate: () => {} };
    forget = this.realmJs.noteProgress(callback, () => subscription.unsubscribe());
    return {
      invalidate: () => {
        subscription.unsubscribe();
        forget();
      },
    };
  }

  /** realm-js: ends every progress notification added with `callback`. */
  removeProgressNotification(callback: (progress: SyncProgress) => void): void {
    this.realmJs.removeProgressNotification(callback);
  }

  /** @internal How many callbacks the realm-js names hold registrations of (a leak test reads it). */
  get realmJsCallbacks(): number {
    return this.realmJs.registeredCallbacks;
  }

  /** realm-js: `connectionState === 'connected'`. */
  isConnected(): boolean {
    return this.connectionState === 'connected';
  }

  /** realm-js: calls `callback(newState, oldState)` at every change of `connectionState` (a subscription of {@link connectionStateChanges}). */
  addConnectionNotification(callback: ConnectionNotificationCallback): void {
    this.realmJs.addConnectionNotification(callback);
  }

  /** realm-js: ends every connection notification added with `callback`. */
  removeConnectionNotification(callback: ConnectionNotificationCallback): void {
    this.realmJs.removeConnectionNotification(callback);
  }

  /**
   * realm-js: {@link waitForUpload}, rejected with a `TimeoutError` ("Uploading changes did not
   * complete in N ms.") after `timeoutMs` on the app's clock; no limit without one.
   */
  uploadAllLocalChanges(timeoutMs?: number): Promise<void> {
    return this.realmJs.waitWithTimeout('upload', timeoutMs);
  }

  /** realm-js: {@link waitForDownload}, rejected with a `TimeoutError` ("Downloading changes did not complete in N ms.") after `timeoutMs`. */
  downloadAllServerChanges(timeoutMs?: number): Promise<void> {
    return this.realmJs.waitWithTimeout('download', timeoutMs);
  }

  /** The session of a synced realm handle; `undefined` for a local realm. */
  static forRealm(realm: object): SyncSession | undefined {
    return realmSessions.get(realm);
  }

  /**
   * Runs an error's action now (docs/SEMANTICS.md §5): deletes the local file, or moves it to a
   * backup path so the next open starts fresh. The realm must be closed. `token` must be the
   * `actionToken` of a `SyncError` that `syncManager`'s app reported; anything else (an object
   * of the same shape included) throws `InvalidActionTokenError` and touches no file.
   */
  static immediatelyHandleError(token: ErrorActionToken, syncManager: ErrorActionRunner): string | undefined {
    if (typeof token !== 'object' || token === null || typeof token.realmPath !== 'string') {
      throw new InvalidActionTokenError('immediatelyHandleError: token must be the actionToken of a SyncError');
    }
    if (typeof syncManager?.runErrorAction !== 'function') throw new TypeError('immediatelyHandleError: syncManager must be app.syncManager');
    return syncManager.runErrorAction(token);
  }

  toString(): string {
    return `SyncSession(${this.realmPath}, ${this.state}, ${this.connectionState})`;
  }

  // --- the runtime's side ---------------------------------------------------------------------

  /** @internal A handle on the store was opened. */
  storeOpened(store: RealmFile): void {
    if (store !== this.file.current) this.file.attach(store);
    this.send({ type: 'store.opened', tokenExpired: this.user.accessTokenExpired });
  }

  /** @internal The runtime reopened the store for this session, with no handle on it. */
  storeAttached(store: RealmFile): void {
    this.file.attach(store);
  }

  /**
   * @internal The runtime could not reopen the store for this session (its disk failed): the
   * chart hears a `localStorageFailed` error, and decides what follows as for any other.
   */
  storeUnavailable(reason: string): void {
    this.send({ type: 'error', error: clientError('localStorageFailed', `cannot reopen the realm file: ${reason}`) });
  }

  /** @internal The last handle on the store was closed. */
  storeClosed(): void {
    this.send({ type: 'store.closed' });
  }

  /** @internal Whether the runtime may close the store file: nothing will sync it any more. */
  get releasable(): boolean {
    // A paused session syncs nothing either; `resume()` gets its file back (SyncManager.reacquire).
    return this.state === 'inactive' || this.state === 'paused';
  }

  /**
   * @internal The runtime lets go of this session for good (the app closed, or its file was
   * deleted or moved): its chart stops, pending waits reject with `SessionClosedError`, streams
   * end, and nothing of it stays subscribed, bound or running.
   */
  dispose(): void {
    if (this.disposed) return;
    this.actor.stop();
    for (const wait of [...this.waits.values()]) wait.reject(new SessionClosedError(disposedMessage));
    this.waits.clear();
    for (const sink of [...this.sinks.values()]) sink.complete();
    this.sinks.clear();
    this.connectionChanges.end();
    this.stopUserListening();
    this.file.release();
    this.binding.leave();
  }

  /** @internal The store file was closed. */
  storeReleased(): void {
    this.file.release();
  }

  /** @internal Subscribes to the session actor's snapshots. */
  observe(listener: () => void): () => void {
    const subscription = this.actor.subscribe(listener);
    return () => subscription.unsubscribe();
  }

  /** @internal */
  notice(notice: 'connection.connecting' | 'connection.open' | 'connection.lost'): void {
    this.send({ type: notice });
  }

  /** @internal The server broke the protocol on the socket this session was bound on. */
  serverViolatedProtocol(reason: string): void {
    this.send({ type: 'error', error: clientError('badServerMessage', `the server sent a malformed message: ${reason}`) });
  }

  /** @internal A message from the server for this session's binding. */
  deliver(message: ServerMessage): void {
    receive(message, {
      file: this.file.current,
      terms: this.terms,
      toChart: (event) => this.send(event),
      reportProgress: () => this.file.reportProgress(),
      serverAccepted: () => this.host.clearErrorAction?.(this.realmPath),
    });
  }

  /**
   * The runtime let go of the session: its actor was stopped (`dispose`). An actor that failed
   * is not: `dispose` still rejects its waits and takes it off the connection.
   */
  private get disposed(): boolean {
    return this.actor.getSnapshot().status === 'stopped';
  }

  private wait(direction: Direction, signal: AbortSignal | undefined): Promise<void> {
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('wait: signal must be an AbortSignal');
    if (signal?.aborted) return Promise.reject(signal.reason);
    // No chart runs to settle it (docs/SEMANTICS.md §9): without this the wait would never end.
    if (this.disposed) return Promise.reject(new SessionClosedError(disposedMessage));
    const id = newId(direction === 'upload' ? 'u' : 'd');
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => this.send({ type: 'wait.abort', id, reason: signal?.reason });
      const cleanup = () => signal?.removeEventListener('abort', onAbort);
      this.waits.set(id, {
        resolve: () => {
          cleanup();
          resolve();
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.send({ type: 'wait', id, direction });
    });
  }

  private readonly observerFailed = (error: unknown): void => {
    this.host.logger.warn('a progress or connection observer threw', { path: this.realmPath, error: String(error) });
  };

  private send(event: SessionEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(event);
  }
}

function checkProgressArguments(direction: Direction, mode: ProgressMode): void {
  if (direction !== 'upload' && direction !== 'download') throw new TypeError(`progress: direction must be 'upload' or 'download', got ${String(direction)}`);
  if (mode !== 'reportIndefinitely' && mode !== 'forCurrentlyOutstandingWork') {
    throw new TypeError(`progress: mode must be 'reportIndefinitely' or 'forCurrentlyOutstandingWork', got ${String(mode)}`);
  }
}
