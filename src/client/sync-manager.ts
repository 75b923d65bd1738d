import { syncUrls } from '../protocol/endpoint.js';
import type { ErrorAction } from '../../machines/types.js';
import { isIssuedBy, issueErrorActionToken, useUpErrorActionToken } from './action-token.js';
import { InvalidActionTokenError, type ErrorActionToken } from './errors.js';
import { backupPathFor, backupPathOnto, PendingActions, runErrorAction } from './pending-actions.js';
import { checkRecordablePath, resolveRecordedRealmPath } from './recorded-action-path.js';
import { RealmFile, type RealmFileOptions } from '../store/realm-file.js';
import { FileLockedError } from '../store/store-errors.js';
import { wsTransport } from '../transport/ws-transport.js';
import type { ResolvedAppConfig } from './app-config.js';
import { SharedConnection } from './shared-connection.js';
import type { SyncConfiguration } from './sync-config.js';
import { defaultServerLimits, type ServerLimits } from './server-terms.js';
import { SyncSession } from './sync-session.js';
import { User } from './user.js';
import { canonicalHttpHeaders, httpHeadersKey, type HttpHeaders } from './http-headers.js';

/** The most distinct `sync.customHttpHeaders` sets (so sockets) one user may have in one app. */
export const MAX_HEADER_SETS_PER_USER = 8;

/** A store file and how many `Realm` handles hold it. */
interface OpenStore {
  readonly file: RealmFile;
  handles: number;
}

/**
 * The runtime's registry: one session per realm path (created and revived here only), one
 * shared connection per user and set of custom headers, and the store files, which stay open while a handle or a syncing
 * session needs them.
 */
export class SyncManager {
  private readonly sessions = new Map<string, SyncSession>();
  private readonly stores = new Map<string, OpenStore>();
  private readonly connections = new Map<string, SharedConnection>();

  private readonly pending: PendingActions;
  private closed = false;
  /** The server's limits, as the last IDENT of any session named them (before any: the default server's). */
  private readonly serverLimits: ServerLimits = defaultServerLimits();

  /** @internal Made by `App`. */
  constructor(private readonly config: ResolvedAppConfig) {
    this.pending = new PendingActions(config.storageDir, config.fileSystem);
  }

  /** Every session of `user`. */
  getAllSessionsFor(user: User): SyncSession[] {
    return [...this.sessions.values()].filter((s) => s.user === user);
  }

  /**
   * The session of `user` for `partition`, if a realm of it was opened (Realm's
   * `getSession(user, partition)`): what a user can name without knowing the file's path.
   * After `app.close()` it still names that session, `inactive`, whose waits reject at once
   * (docs/SEMANTICS.md §9.6): a lookup never makes a session.
   */
  getSession(user: User, partition: string): SyncSession | undefined {
    if (!(user instanceof User)) throw new TypeError('getSession: user must be a User from app.logIn');
    if (typeof partition !== 'string') throw new TypeError(`getSession: partition must be a string, got ${typeof partition}`);
    for (const session of this.sessions.values()) if (session.user === user && session.partition === partition) return session;
    return undefined;
  }

  /** The session of the realm at `path`, if one was ever opened. */
  getExistingSession(path: string): SyncSession | undefined {
    return this.sessions.get(path);
  }

  /** Skips the reconnect delay of every connection now. */
  reconnect(): void {
    for (const connection of this.connections.values()) connection.reconnect();
  }

  /** @internal Opens a handle on the store at `path`, and creates or revives its session. */
  openHandle(path: string, sync: SyncConfiguration | undefined): { file: RealmFile; session: SyncSession | undefined } {
    if (this.closed) throw new Error('Realm.open: the app is closed');
    const existing = this.sessions.get(path);
    let replaced = false;
    if (existing !== undefined && sync !== undefined) {
      const config = existing.configuration();
      if (config !== undefined && (config.user !== sync.user || config.partition !== sync.partition)) {
        throw new TypeError(`Realm.open: ${path} is already synced for user ${config.user.id}, partition ${config.partition}`);
      }
      // The session keeps the socket it joined: other headers would need another one. Once it
      // ended (inactive), a new session of the path takes the new headers.
      const otherHeaders = config !== undefined && httpHeadersKey(canonicalHttpHeaders(config.customHttpHeaders)) !== httpHeadersKey(canonicalHttpHeaders(sync.customHttpHeaders));
      if (otherHeaders && existing.state !== 'inactive') {
        throw new TypeError(`Realm.open: ${path} is already synced with other sync.customHttpHeaders; close it and let its session end first`);
      }
      replaced = otherHeaders;
    }
    if (sync !== undefined) this.checkHeaderSets(sync);
    let store = this.stores.get(path);
    if (store === undefined) {
      store = { file: RealmFile.open(this.fileOptions(path)), handles: 0 };
      this.stores.set(path, store);
    }
    store.handles++;
    if (sync === undefined) return { file: store.file, session: undefined };
    let session = existing;
    if (session === undefined || session.configuration() === undefined || replaced) {
      session?.dispose();
      session = new SyncSession(path, sync, store.file, {
        connectionFor: (user, headers) => this.connectionFor(user, headers),
        logger: this.config.logger,
        inspect: this.config.inspect,
        refreshRetryDelayMs: this.config.refreshRetryDelayMs,
        clock: this.config.clock,
        onSyncError: this.config.onSyncError,
        issueErrorActionToken: (action, realmPath) => this.issueErrorActionToken(action, realmPath),
        recordErrorAction: (token) => this.recordErrorAction(token),
        clearErrorAction: (realmPath) => this.pending.remove(realmPath),
        serverLimits: this.serverLimits,
      });
      this.sessions.set(path, session);
      const created = session;
      created.observe(() => {
        // Runs inside the session actor's state change: what throws here (a disk failing as the
        // file is closed or reopened) would end the app's process, so it is told, not thrown.
        try {
          this.release(path);
          this.reacquire(path, created);
        } catch (error) {
          this.config.logger.warn('a session\'s realm file could not be closed or reopened after its state changed', { path, error: String(error) });
        }
      });
    }
    session.storeOpened(store.file);
    return { file: store.file, session };
  }

  /** @internal Closes one handle; the last one applies the session's stop policy. */
  closeHandle(path: string): void {
    const store = this.stores.get(path);
    if (store === undefined || store.handles === 0) return;
    store.handles--;
    if (store.handles > 0) return;
    const session = this.sessions.get(path);
    if (session === undefined) {
      this.closeStore(path);
      return;
    }
    session.storeClosed();
    this.release(path);
  }

  /**
   * Runs an error's action on a closed realm: `deleteLocalFile` removes the file,
   * `clientResetBackup` moves it to a backup path (returned). The session of the path is
   * forgotten, so the next open starts fresh. Only a token this manager issued (the
   * `actionToken` of a `SyncError` it reported) is run, once; anything else, an object of the
   * same shape included, throws {@link InvalidActionTokenError} and touches nothing.
   */
  runErrorAction(token: ErrorActionToken): string | undefined {
    if (!isIssuedBy(token, this)) {
      throw new InvalidActionTokenError('immediatelyHandleError: token must be the actionToken of a SyncError this app reported (and not run yet)');
    }
    if (this.stores.has(token.realmPath)) throw new Error(`immediatelyHandleError: close every handle on ${token.realmPath} first`);
    this.sessions.get(token.realmPath)?.dispose();
    this.sessions.delete(token.realmPath);
    const backup = runErrorAction(this.config.fileSystem, token.action, token.realmPath, () => this.config.clock.now(), token.backupPath);
    useUpErrorActionToken(token);
    this.pending.remove(token.realmPath);
    return backup;
  }

  /** @internal The token a session's error carries: only this manager runs it. */
  issueErrorActionToken(action: ErrorAction, realmPath: string): ErrorActionToken {
    // A backup's path is decided now, so that the error can name it before the action runs.
    const backupPath = action === 'clientResetBackup' ? backupPathFor(realmPath, this.config.clock.now()) : undefined;
    return issueErrorActionToken(this, action, realmPath, backupPath);
  }

  /**
   * @internal An error with an action was reported: it runs at the next app start unless run
   * before. Only a realm file under `storageDir` is recorded: the next start runs nothing
   * elsewhere (see {@link runPendingActions}), so a realm opened at a path of its own gets its
   * action through `immediatelyHandleError` only.
   */
  recordErrorAction(token: ErrorActionToken): void {
    try {
      checkRecordablePath(this.config.storageDir, token.realmPath);
    } catch (error) {
      if (!(error instanceof InvalidActionTokenError)) throw error;
      this.config.logger.info('an error action outside storageDir is not kept for the next start', { action: token.action, path: token.realmPath });
      return;
    }
    this.pending.add(token);
  }

  /**
   * @internal At app start: runs the actions left by an earlier run (their files are not open
   * yet). The list is a file anyone with write access to `storageDir` could have written, so
   * an action runs only on a realm file under the real `storageDir`; any other is refused with
   * a logged {@link InvalidActionTokenError} (a bad entry must not stop the app from starting).
   */
  runPendingActions(): void {
    for (const recorded of this.pending.list()) {
      try {
        const path = resolveRecordedRealmPath(this.config.fileSystem, this.config.storageDir, recorded.realmPath);
        if (path !== undefined) runErrorAction(this.config.fileSystem, recorded.action, path, () => this.config.clock.now(), backupPathOnto(recorded.realmPath, recorded.backupPath, path));
        this.config.logger.info('ran a pending error action', { action: recorded.action, path: recorded.realmPath });
      } catch (error) {
        const refused = error instanceof InvalidActionTokenError;
        this.config.logger.warn(refused ? 'refused a pending error action' : 'a pending error action failed', {
          action: recorded.action,
          path: recorded.realmPath,
          error: String(error),
        });
        // Open elsewhere: the action waits for a start that finds the file free.
        if (error instanceof FileLockedError) continue;
      }
      this.pending.remove(recorded.realmPath);
    }
  }

  /** Closes every connection and store (the app is done). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const session of this.sessions.values()) session.dispose();
    for (const connection of this.connections.values()) connection.stop();
    this.connections.clear();
    for (const path of [...this.stores.keys()]) this.closeStore(path);
  }

  /** How the app opens the realm file at `path`: its logger, durability, clock and randomness. */
  private fileOptions(path: string): RealmFileOptions {
    const { clock } = this.config;
    return { path, logger: this.config.logger, durability: this.config.durability, createLazily: true, now: () => clock.now(), random: this.config.random, fileSystem: this.config.fileSystem };
  }

  /**
   * Refuses a set of headers that would give its user more than {@link MAX_HEADER_SETS_PER_USER}
   * sockets in this app: each set is a socket of its own, and the server counts a user's sockets
   * (`maxSocketsPerUser`), so unbounded sets would spend the user's budget on every device.
   */
  private checkHeaderSets(sync: SyncConfiguration): void {
    const key = JSON.stringify([sync.user.id, httpHeadersKey(canonicalHttpHeaders(sync.customHttpHeaders))]);
    if (this.connections.has(key)) return;
    const prefix = `${JSON.stringify([sync.user.id]).slice(0, -1)},`;
    let sets = 0;
    for (const k of this.connections.keys()) if (k.startsWith(prefix)) sets++;
    if (sets >= MAX_HEADER_SETS_PER_USER) {
      throw new TypeError(`Realm.open: user ${sync.user.id} already has ${sets} sets of sync.customHttpHeaders in this app, the most there may be (each is a socket of its own)`);
    }
  }

  /**
   * The socket of `user`'s sessions with these (canonical) headers: sessions share a socket only
   * when their headers are equal, since an upgrade carries one set (docs/SEMANTICS.md §2.1).
   */
  private connectionFor(user: User, headers: HttpHeaders): SharedConnection {
    const key = JSON.stringify([user.id, httpHeadersKey(headers)]);
    let connection = this.connections.get(key);
    if (connection === undefined) {
      connection = new SharedConnection({
        ...this.config,
        urls: syncUrls(this.config.baseUrls),
        transport: this.config.transport ?? wsTransport,
        headers: Object.freeze({ ...headers, 'user-agent': this.config.userAgent }),
        label: { userId: user.id, baseUrls: this.config.baseUrls },
      });
      this.connections.set(key, connection);
    }
    return connection;
  }

  /** Closes the store file of `path` once no handle holds it and its session will not sync it. */
  private release(path: string): void {
    const store = this.stores.get(path);
    const session = this.sessions.get(path);
    if (store === undefined || store.handles > 0 || (session !== undefined && !session.releasable)) return;
    this.closeStore(path);
  }

  /**
   * A session whose file was released syncs again (a login or `resume()` revived it with no
   * handle open): the runtime opens the file for it, as it kept it open for a dying session.
   */
  private reacquire(path: string, session: SyncSession): void {
    if (!session.isActive || this.stores.has(path) || this.sessions.get(path) !== session) return;
    let file: RealmFile;
    try {
      file = RealmFile.open(this.fileOptions(path));
    } catch (error) {
      // Opened elsewhere since it was released (another app or process): that one writes it
      // now, and the session syncs again when a handle here opens the file. Or the disk
      // failed: the session is told, as an error of its chart (sent after this step: we are
      // inside its state change), and a handle opened later starts it again. Thrown here, from
      // a state change's observer, either would end the app's process.
      const locked = error instanceof FileLockedError;
      this.config.logger.warn('a revived session could not reopen its realm file', { path, error: String(error), locked });
      // Not if a handle opened the file meanwhile: that session has its file again.
      if (!locked) {
        queueMicrotask(() => {
          if (!this.stores.has(path)) session.storeUnavailable(String(error));
        });
      }
      return;
    }
    this.stores.set(path, { file, handles: 0 });
    session.storeAttached(file);
  }

  private closeStore(path: string): void {
    const store = this.stores.get(path);
    if (store === undefined) return;
    this.stores.delete(path);
    this.sessions.get(path)?.storeReleased();
    store.file.close();
  }
}
