import type { Actor } from 'xstate';
import type { SessionEvent } from '../../machines/session.types.js';
import { connectionStateOf, isActiveState, sessionStateOf } from '../../machines/state.js';
import type { ConnectionState, Direction, ErrorAction, ProgressMode, SessionState, SyncErrorInfo, SyncProgress } from '../../machines/types.js';
import type { Changeset, ServerMessage } from '../protocol/index.js';
import { changesetBytes, DEFAULT_MAX_CHANGESET_BYTES, DEFAULT_MAX_MESSAGE_BYTES, UPLOAD_ENVELOPE_BYTES } from '../protocol/index.js';
import type { Logger } from '../store/logger.js';
import type { InspectObserver } from './app-config.js';
import type { RealmFile } from '../store/realm-file.js';
import { InvalidActionTokenError, SessionClosedError, SyncError, type ErrorActionToken } from './errors.js';
import { createSessionActor, type runtimeSessionMachine } from './session-actor.js';
import type { ConnectionMember, SharedConnection } from './shared-connection.js';
import { Broadcast, Stream, type Sink } from './stream.js';
import type { DocumentsSnapshot, SyncConfiguration } from './sync-config.js';
import type { User } from './user.js';

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
  connectionFor(user: User): SharedConnection;
  readonly logger: Logger;
  readonly inspect?: InspectObserver | undefined;
  /** Wait before retrying a token refresh that failed for a network reason. */
  readonly refreshRetryDelayMs?: number;
  /** The token of an error's action: an object only the runtime that issued it will run. */
  readonly issueErrorActionToken: (action: ErrorAction, realmPath: string) => ErrorActionToken;
  /** Keeps an error's action to run at the next app start. */
  readonly recordErrorAction?: (token: ErrorActionToken) => void;
  /** Forgets the recorded action of `realmPath`: the server accepted the session again. */
  readonly clearErrorAction?: (realmPath: string) => void;
  /** The server's limits as its last IDENT named them, shared by the app's sessions (updated here). */
  readonly serverLimits?: ServerLimits;
}

/** The server's size limits (PROTOCOL.md "Limits"), as IDENT names them. */
export interface ServerLimits {
  maxMessageBytes: number;
  maxChangesetBytes: number;
}

/**
 * The longest a retry waits whatever `backoffMs` the server named: a stamp a day ahead is still
 * tried every minute (the server's clock may have been the wrong one), and no timer overflows
 * (Node fires a delay beyond 2^31 − 1 ms at once: a hot loop).
 */
const MAX_RETRY_DELAY_MS = 60_000;

/** Most changeset bytes in one UPLOAD; the server's default frame limit is far above. */
const UPLOAD_BATCH_BYTES = 1024 * 1024;

/** Why a wait on a session the runtime let go of (`app.close()`, an error action run) rejects. */
const disposedMessage = 'the app closed or let go of this session';

let nextId = 0;
const newId = (prefix: string): string => `${prefix}${++nextId}`;

/**
 * A sync session (the seeds' `Session` / `RLMSyncSession`): the session chart of
 * `machines/session.machine.ts` running as an actor, with the runtime's effects provided. The
 * runtime turns every happening (API call, local commit, socket message) into one event for
 * the actor; the state you read is the chart's.
 */
export class SyncSession implements ConnectionMember {
  readonly memberId: string;
  private readonly actor: Actor<typeof runtimeSessionMachine>;
  private connection: SharedConnection | undefined;
  /** The user's shared connection, made up front: an actor is never created inside an action. */
  private readonly sharedConnection: SharedConnection;
  private number: number | undefined;
  private sentThrough = 0;
  private store: RealmFile | undefined;
  private stopListening: (() => void) | undefined;
  private readonly waits = new Map<string, { resolve: () => void; reject: (error: unknown) => void }>();
  private readonly sinks = new Map<string, Sink<SyncProgress>>();
  private readonly connectionChanges: Broadcast<ConnectionStateChange>;
  private readonly stopUserListening: () => void;
  private retryTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private lastConnection: ConnectionState = 'disconnected';
  private uploadScheduled = false;
  /** A `clockSkew` refusal's retry is pending: uploads wait for it (see `deliver`). */
  private holdingUploads = false;
  /** How far ahead of this device's clock a downloaded stamp may drag the file's (from IDENT's `maxClockSkewMs`). */
  private clockLeadMs = Number.POSITIVE_INFINITY;
  /** Until this session's IDENT names them: the app's last known, or the default server's. */
  private readonly limits: ServerLimits;
  /** What `onAfter` gets besides the documents after the reset, kept from the reset until the chart ends it. */
  private resetBefore: { readonly documents: DocumentsSnapshot; readonly recovered: boolean } | undefined;

  /** @internal Sessions are made by the runtime (`Realm.open`), never by users. */
  constructor(
    readonly realmPath: string,
    private readonly config: SyncConfiguration,
    store: RealmFile,
    private readonly host: SessionHost,
  ) {
    this.memberId = realmPath;
    this.store = store;
    this.limits = host.serverLimits ?? { maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, maxChangesetBytes: DEFAULT_MAX_CHANGESET_BYTES };
    this.connectionChanges = new Broadcast<ConnectionStateChange>(this.observerFailed);
    this.sharedConnection = host.connectionFor(config.user);
    this.actor = createSessionActor(
      {
        joinConnection: () => {
          this.connection = this.sharedConnection;
          this.connection.attach(this);
        },
        leaveConnection: () => {
          const connection = this.connection;
          if (connection === undefined) return;
          if (this.number !== undefined) {
            connection.send({ type: 'unbind', session: this.number });
            connection.unroute(this.number);
            this.number = undefined;
          }
          connection.detach(this);
          this.connection = undefined;
        },
        bind: () => this.bind(),
        reportError: ({ error, action }) => queueMicrotask(() => this.report(error, action)),
        refreshAccessToken: () => this.user.refreshAccessToken(),
        runClientReset: async () => this.runClientReset(),
        finishClientReset: async () => this.finishClientReset(),
        sendMark: (id) => {
          if (this.number !== undefined) this.connection?.send({ type: 'mark', session: this.number, requestId: id });
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
    );
    this.actor.subscribe((snapshot) => {
      const current = connectionStateOf(snapshot);
      if (current !== this.lastConnection) {
        const previous = this.lastConnection;
        this.lastConnection = current;
        this.connectionChanges.push({ previous, current });
      }
    });
    this.actor.start();
    this.listenToStore(store);
    this.stopUserListening = this.user.listen({
      loggedOut: () => this.loggedOut(),
      loggedIn: () => {
        this.send({ type: 'user.loggedIn', tokenExpired: this.user.accessTokenExpired });
      },
    });
    this.pushProgress();
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
    this.connection?.reconnect();
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

  /** Calls `callback` with progress reports until the token is invalidated; `undefined` for an invalid session. */
  addProgressNotification(direction: Direction, mode: ProgressMode, callback: (progress: SyncProgress) => void): ProgressNotificationToken | undefined {
    if (typeof callback !== 'function') throw new TypeError('addProgressNotification: callback must be a function');
    if (!this.valid) return undefined;
    const subscription = this.getProgressStream(direction, mode).subscribe(callback);
    return { invalidate: () => subscription.unsubscribe() };
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
    if (store !== this.store) {
      this.store = store;
      this.listenToStore(store);
    }
    this.send({ type: 'store.opened', tokenExpired: this.user.accessTokenExpired });
  }

  /** @internal The runtime reopened the store for this session, with no handle on it. */
  storeAttached(store: RealmFile): void {
    this.store = store;
    this.listenToStore(store);
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
   * deleted or moved): pending waits reject with `SessionClosedError`, streams end, and
   * nothing of it stays subscribed or running.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.retryTimer);
    for (const wait of [...this.waits.values()]) wait.reject(new SessionClosedError(disposedMessage));
    this.waits.clear();
    for (const sink of [...this.sinks.values()]) sink.complete();
    this.sinks.clear();
    this.connectionChanges.end();
    this.stopUserListening();
    this.stopListening?.();
    if (this.connection !== undefined) {
      if (this.number !== undefined) this.connection.send({ type: 'unbind', session: this.number });
      this.connection.detach(this);
    }
    this.actor.stop();
  }

  /** @internal The store file was closed. */
  storeReleased(): void {
    this.stopListening?.();
    this.stopListening = undefined;
    this.store = undefined;
  }

  /** @internal Subscribes to the session actor's snapshots. */
  observe(listener: () => void): () => void {
    const subscription = this.actor.subscribe(listener);
    return () => subscription.unsubscribe();
  }

  /** @internal */
  notice(notice: 'connection.connecting' | 'connection.open' | 'connection.lost'): void {
    if (notice === 'connection.lost') this.number = undefined;
    this.send({ type: notice });
  }

  /** @internal The server broke the protocol on the socket this session was bound on. */
  serverViolatedProtocol(reason: string): void {
    this.send({ type: 'error', error: { code: 'badServerMessage', category: 'protocol', isFatal: true, message: `the server sent a malformed message: ${reason}` } });
  }

  /** @internal A message from the server for this session's binding. */
  deliver(message: ServerMessage): void {
    const store = this.store;
    switch (message.type) {
      case 'ident':
        if (store !== undefined && store.cursors.epoch !== message.epoch) store.setEpoch(message.epoch);
        if (message.maxChangesetBytes !== undefined) this.limits.maxChangesetBytes = message.maxChangesetBytes;
        if (message.maxMessageBytes !== undefined) this.limits.maxMessageBytes = message.maxMessageBytes;
        store?.limitChangesetBytes(this.limits.maxChangesetBytes);
        // Twice the server's skew: a stamp it took from a replica ahead of it is followed in full
        // (a wall up to one skew past the server's clock, however far this clock is behind it by
        // up to another); one it should never have taken is not, so later commits stay uploadable.
        if (message.maxClockSkewMs !== undefined) this.clockLeadMs = Math.min(2 * message.maxClockSkewMs, Number.MAX_SAFE_INTEGER);
        store?.limitClockLead(this.clockLeadMs);
        // The server took the session again: an error action recorded before no longer applies.
        this.host.clearErrorAction?.(this.realmPath);
        this.send({ type: 'server.ident' });
        this.upload();
        return;
      case 'download':
        if (store === undefined) return;
        try {
          // decodeServerMessage decoded the changesets with their codec already: not again.
          store.integrateDownload(message.changesets, message.cursors, message.downloadableBytes);
          if (message.uploadAck > store.cursors.upload.clientVersion) store.acknowledgeUpload(message.uploadAck);
        } catch (error) {
          this.send({ type: 'error', error: { code: 'badDownload', category: 'protocol', isFatal: true, message: String(error) } });
          return;
        }
        this.pushProgress();
        // The server took the fresh file after a reset: a reset requested from now on is a new one.
        if (this.actor.getSnapshot().context.resetUnacknowledged) this.send({ type: 'reset.acknowledged' });
        // Nothing more to download: the server's fresh state is in, and a reset can end (onAfter).
        if (message.downloadableBytes === 0 && this.actor.getSnapshot().matches({ lifecycle: { syncing: { active: 'awaitingFreshState' } } })) {
          this.send({ type: 'reset.downloaded' });
        }
        return;
      case 'mark':
        this.send({ type: 'mark.reply', requestId: message.requestId });
        return;
      case 'error':
        if (store !== undefined && (message.category === 'connection' || (message.code === 'clockSkew' && message.backoffMs !== undefined))) {
          // The server could not store or read history for this session, or refused a stamp
          // until its clock catches up: what was sent since the last acknowledgement goes
          // again, after a pause (docs/SEMANTICS.md §5.7: try again). Until then a commit sends
          // nothing: a changeset past the refused one would only be refused as a gap.
          this.sentThrough = store.cursors.upload.clientVersion;
          clearTimeout(this.retryTimer);
          this.holdingUploads = message.code === 'clockSkew';
          this.retryTimer = setTimeout(
            () => {
              this.holdingUploads = false;
              this.upload();
            },
            Math.min(message.backoffMs ?? 1_000, MAX_RETRY_DELAY_MS),
          );
          // Never the reason the process stays: while the session is on the connection, the
          // connection holds it; once the session left, this retry has nothing to send.
          this.retryTimer.unref();
        }
        this.send({
          type: 'error',
          error: { code: message.code, category: message.category, isFatal: message.isFatal, message: message.message },
        });
        return;
      default:
        return;
    }
  }

  /**
   * A client reset in the configured mode (docs/SEMANTICS.md §5): `onBefore` with the documents as
   * they were, then the file started over (discarding, or replaying what was not uploaded).
   * `onAfter` comes later, once the server's fresh state is in ({@link finishClientReset}).
   * Anything thrown rejects, and the chart falls back to manual.
   */
  private async runClientReset(): Promise<void> {
    const store = this.store;
    if (store === undefined) throw new Error('the store is closed');
    const reset = this.config.clientReset;
    const mode = reset?.mode ?? 'recoverOrDiscard';
    const before = store.snapshotDocuments();
    reset?.onBefore?.(before);
    let recovered = false;
    if (mode === 'discardUnsyncedChanges') store.resetForClientReset('discard');
    else if (mode === 'recoverUnsyncedChanges') recovered = store.resetForClientReset('recover').recovered;
    else {
      try {
        recovered = store.resetForClientReset('recover').recovered;
      } catch (error) {
        this.host.logger.warn('recovering unsynced changes failed; discarding them', { error: String(error) });
        store.resetForClientReset('discard');
      }
    }
    this.sentThrough = 0;
    this.pushProgress();
    this.resetBefore = { documents: before, recovered };
  }

  /**
   * The end of a client reset, once the chart saw the server's fresh state integrated:
   * `onAfter` with the documents before, those now (the server's state, and in recover mode
   * the replayed local changes on it) and whether it recovered. A throw rejects: manual.
   */
  private async finishClientReset(): Promise<void> {
    const store = this.store;
    const before = this.resetBefore;
    this.resetBefore = undefined;
    if (before === undefined) return;
    if (store === undefined) {
      // Closed meanwhile: the reset itself is done, and no file is open to show `onAfter`.
      this.host.logger.warn('the realm was closed before the client reset ended; onAfter not called', { path: this.realmPath });
      return;
    }
    this.config.clientReset?.onAfter?.(before.documents, store.snapshotDocuments(), before.recovered);
  }

  private bind(): void {
    const connection = this.connection;
    const store = this.store;
    if (connection === undefined || store === undefined) return;
    this.number = connection.route(this);
    const { upload, download, epoch } = store.cursors;
    connection.send({ type: 'bind', session: this.number, partition: this.config.partition, token: this.user.accessToken });
    connection.send({
      type: 'ident',
      session: this.number,
      fileIdent: store.fileIdent,
      ...(epoch === undefined ? {} : { cursors: { epoch, upload, download } }),
    });
    this.sentThrough = upload.clientVersion;
  }

  /**
   * Uploads once the current burst of commits is over (a microtask later): a loop of writes
   * then goes out as one UPLOAD (batched by size), not one per transaction, and the server
   * integrates and fsyncs it once.
   */
  private scheduleUpload(): void {
    if (this.uploadScheduled) return;
    this.uploadScheduled = true;
    queueMicrotask(() => {
      this.uploadScheduled = false;
      this.upload();
    });
  }

  /**
   * Sends what the server has not been sent on this binding, in batches that each fit one
   * frame of the server's `maxMessageBytes`. A changeset over the server's limit (one written
   * before `write` knew it) would get the socket closed again at every reconnect, starving the
   * user's other sessions on it: it ends this session instead, as a fatal `messageTooBig`.
   */
  private upload(): void {
    const store = this.store;
    if (store === undefined || this.number === undefined || this.connectionState !== 'connected' || this.holdingUploads) return;
    const pending = store.pendingChangesets(this.sentThrough);
    const budget = Math.min(UPLOAD_BATCH_BYTES, this.limits.maxMessageBytes - UPLOAD_ENVELOPE_BYTES);
    let batch: Changeset[] = [];
    let bytes = 0;
    const flush = () => {
      if (batch.length === 0 || this.number === undefined) return;
      this.sentThrough = batch[batch.length - 1]!.clientVersion;
      this.connection?.send({
        type: 'upload',
        session: this.number,
        changesets: batch,
        progress: { clientVersion: this.sentThrough, serverVersion: store.cursors.download.serverVersion },
      });
      batch = [];
      bytes = 0;
    };
    for (const changeset of pending) {
      // Each changeset costs its bytes and a comma in the frame.
      const size = changesetBytes(changeset) + 1;
      if (size - 1 > this.limits.maxChangesetBytes) {
        flush();
        const message = `local changeset ${changeset.clientVersion} is ${size - 1} bytes, over the server's limit of ${this.limits.maxChangesetBytes} bytes: it cannot be uploaded`;
        this.send({ type: 'error', error: { code: 'messageTooBig', category: 'protocol', isFatal: true, message } });
        return;
      }
      if (bytes + size > budget) flush();
      batch.push(changeset);
      bytes += size;
    }
    flush();
  }

  /**
   * Tells the chart the byte counts of each direction whose counts differ from what the chart
   * holds (every `progress` event is recorded in its context): a new session of an empty file
   * sends nothing, a commit only its upload counts.
   */
  private pushProgress(): void {
    const store = this.store;
    if (store === undefined) return;
    const progress = store.progress;
    const { context } = this.actor.getSnapshot();
    for (const direction of ['upload', 'download'] as const) {
      const counts = progress[direction];
      const known = context[direction];
      if (counts.transferred !== known.transferred || counts.transferable !== known.transferable) this.send({ type: 'progress', direction, ...counts });
    }
  }

  private listenToStore(store: RealmFile): void {
    this.stopListening?.();
    // A commit the server would refuse as too big is refused by `write`, before it is in the file.
    store.limitChangesetBytes(this.limits.maxChangesetBytes);
    store.limitClockLead(this.clockLeadMs);
    // Progress the moment `write` returns, durable or not yet (`batched`): the chart's upload
    // transferable is then every committed changeset, so a wait called next targets them all
    // (docs/SEMANTICS.md §4), and a store closed next leaves the session dying, not inactive.
    const stopCommits = store.addCommitListener(() => this.pushProgress());
    // Uploads only once durable: only those changesets are handed out (`pendingChangesets`).
    const stopChanges = store.addListener(({ origin }) => {
      if (origin !== 'local') return;
      this.pushProgress();
      this.scheduleUpload();
    });
    this.stopListening = () => {
      stopCommits();
      stopChanges();
    };
    this.pushProgress();
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

  private loggedOut(): void {
    this.send({ type: 'user.loggedOut' });
  }

  private report(error: SyncErrorInfo, action: 'deleteLocalFile' | 'clientResetBackup' | undefined): void {
    const token = action === undefined ? undefined : this.host.issueErrorActionToken(action, this.realmPath);
    if (token !== undefined) {
      try {
        this.host.recordErrorAction?.(token);
      } catch (error) {
        this.host.logger.warn('cannot record the error action for the next start', { path: this.realmPath, error: String(error) });
      }
    }
    const syncError = new SyncError(error, token);
    if (this.config.onError === undefined) {
      this.host.logger.warn('sync error', { path: this.realmPath, code: error.code, message: error.message });
      return;
    }
    try {
      this.config.onError(this, syncError);
    } catch (thrown) {
      this.host.logger.warn('onError threw', { error: String(thrown) });
    }
  }

  private readonly observerFailed = (error: unknown): void => {
    this.host.logger.warn('a progress or connection observer threw', { path: this.realmPath, error: String(error) });
  };

  private send(event: SessionEvent): void {
    if (!this.disposed) this.actor.send(event);
  }
}

function checkProgressArguments(direction: Direction, mode: ProgressMode): void {
  if (direction !== 'upload' && direction !== 'download') throw new TypeError(`progress: direction must be 'upload' or 'download', got ${String(direction)}`);
  if (mode !== 'reportIndefinitely' && mode !== 'forCurrentlyOutstandingWork') {
    throw new TypeError(`progress: mode must be 'reportIndefinitely' or 'forCurrentlyOutstandingWork', got ${String(mode)}`);
  }
}
