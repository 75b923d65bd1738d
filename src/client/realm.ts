import { dirname } from 'node:path';
import type { Json } from '../protocol/json.codec.js';
import type { FileSystem } from '../store/file-system.js';
import type { RealmChange, RealmFile } from '../store/realm-file.js';
import { RealmClosedError } from '../store/store-errors.js';
import type { Transaction } from '../store/transaction.js';
import { anyObject, custom, func, obj, str, validateOptions } from '../config/option-schema.js';
import type { SyncProgress } from '../../machines/types.js';
import { downloadBeforeOpen } from './open-behavior.js';
import { App } from './app.js';
import { defaultRealmPath, legacyRealmPath } from './file-names.js';
import { claimUserFolder, userFolderOwner } from './user-folder.js';
import { checkSyncConfiguration, type SyncConfiguration } from './sync-config.js';
import { realmSessions, type SyncSession } from './sync-session.js';

/** `Realm.open`'s own keys; `sync` is checked by its own schema (after its type check here). */
const realmConfigSchema = obj({ path: str({ nonEmpty: true }), sync: anyObject() });

/** The second argument of `Realm.open`. */
export interface RealmOpenOptions {
  /** Cancels an open that waits for its download: it rejects with the signal's reason, its handle closed. */
  readonly signal?: AbortSignal;
  /** Hears the download while an open waits for it (`downloadBeforeOpen`), ending at 1. */
  readonly onProgress?: (progress: SyncProgress) => void;
}

/** What `Realm.open` returns: the realm's promise, with realm-js's `.progress(callback)` (chainable). */
export type ProgressRealmPromise = Promise<Realm> & {
  progress(callback: (progress: SyncProgress) => void): ProgressRealmPromise;
};

const openOptionsSchema = obj({
  signal: custom('an AbortSignal', (v) => v instanceof AbortSignal),
  onProgress: func('a function (progress) => void'),
});

/** Options of `Realm.open`. */
export interface RealmConfiguration {
  /** The file; for a synced realm, under the app's `storageDir` by user and partition if absent. */
  readonly path?: string;
  readonly sync?: SyncConfiguration;
}

/**
 * The file of a synced realm opened without a path. The user id comes from the server: encoded
 * like the partition, it cannot lead out of `storageDir`. A file an earlier version left under
 * the raw id (a plain one only) is kept using, so its unsynced changes are not stranded.
 */
function syncedRealmPath(fs: FileSystem, storageDir: string, userId: string, partition: string): string {
  const path = defaultRealmPath(storageDir, userId, partition);
  if (!fs.existsSync(path)) {
    const legacy = legacyRealmPath(storageDir, userId, partition);
    // A folder that names another user is that user's encoded folder, not this one's legacy one.
    if (legacy !== undefined && fs.existsSync(legacy) && (userFolderOwner(fs, dirname(legacy)) ?? userId) === userId) return legacy;
  }
  claimUserFolder(fs, dirname(path), userId);
  return path;
}

/** The store file under each open handle (for `realmFileOf`). */
const filesOfRealms = new WeakMap<Realm, RealmFile>();

/**
 * @internal The store file under `realm`: what the simulation's invariants read (cursors)
 * beside the public API. Not for apps: the file's own API bypasses the handle's checks.
 */
export function realmFileOf(realm: Realm): RealmFile | undefined {
  return filesOfRealms.get(realm);
}

/** A handle on a local realm file, synced when opened with `sync`. */
export class Realm {
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly file: RealmFile,
    private readonly onClose: () => void,
  ) {
    filesOfRealms.set(this, file);
  }

  /**
   * Opens a handle on a realm; with `sync`, creates or revives the one session of its path.
   * Bad configuration rejects with a `TypeError` naming the field before anything is opened.
   * With `sync.newRealmFileBehavior` (a file not there yet) or `sync.existingRealmFileBehavior`
   * of type `downloadBeforeOpen`, it resolves once the server's state is in the file, reporting
   * the download to `options.onProgress` and to the promise's `.progress(callback)`;
   * `options.signal` cancels it, closing the handle it made.
   */
  static open(config: RealmConfiguration, options: RealmOpenOptions = {}): ProgressRealmPromise {
    const listeners: Array<(progress: SyncProgress) => void> = [];
    const promise = Realm.openWithProgress(config, options, listeners) as ProgressRealmPromise;
    promise.progress = (callback) => {
      if (typeof callback !== 'function') throw new TypeError('Realm.open(…).progress: callback must be a function');
      listeners.push(callback);
      return promise;
    };
    return promise;
  }

  private static async openWithProgress(config: RealmConfiguration, options: RealmOpenOptions, listeners: Array<(progress: SyncProgress) => void>): Promise<Realm> {
    if (typeof config !== 'object' || config === null) throw new TypeError('Realm.open: configuration must be an object');
    validateOptions('Realm.open', realmConfigSchema, config);
    if (typeof options !== 'object' || options === null) throw new TypeError('Realm.open: options must be an object { signal?, onProgress? }');
    validateOptions('Realm.open', openOptionsSchema, options, 'options');
    if (config.sync === undefined) {
      if (config.path === undefined) throw new TypeError('Realm.open: a local realm needs a path (a synced one: sync)');
      const { RealmFile } = await import('../store/realm-file.js');
      const file = RealmFile.open({ path: config.path });
      return new Realm(config.path, file, () => file.close());
    }
    const sync = checkSyncConfiguration(config.sync);
    const app = App.of(sync.user);
    // Before anything is made on disk (the user's folder included).
    if (options.signal?.aborted) throw options.signal.reason;
    const path = config.path ?? syncedRealmPath(app.config.fileSystem, app.config.storageDir, sync.user.id, sync.partition);
    const existed = app.config.fileSystem.existsSync(path);
    const { file, session } = app.syncManager.openHandle(path, sync);
    const realm = new Realm(path, file, () => app.syncManager.closeHandle(path));
    if (session !== undefined) realmSessions.set(realm, session);
    const behavior = existed ? sync.existingRealmFileBehavior : sync.newRealmFileBehavior;
    if (session === undefined || behavior?.type !== 'downloadBeforeOpen') return realm;
    const report = (progress: SyncProgress): void => {
      for (const listener of [options.onProgress, ...listeners]) {
        try {
          listener?.(progress);
        } catch (error) {
          app.config.logger.warn('a Realm.open progress callback threw', { path, error: String(error) });
        }
      }
    };
    try {
      await downloadBeforeOpen({ session, behavior, clock: app.config.clock, signal: options.signal, progress: report });
    } catch (error) {
      // Nothing half-open: the handle this open made is closed (its session's stop policy applies).
      realm.close();
      throw error;
    }
    return realm;
  }

  /** The session of a synced realm; `undefined` for a local one. */
  get syncSession(): SyncSession | undefined {
    return realmSessions.get(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * One atomic transaction: durable when `write` returns (with the default durability). On a
   * closed realm it throws `RealmClosedError` and `fn` is not called.
   */
  write<T>(fn: (tx: Transaction) => T): T {
    this.assertOpen('write');
    return this.file.write(fn);
  }

  /** Visible documents of `type`, sorted by id. */
  objects(type: string): ReadonlyArray<{ readonly id: string; readonly fields: Readonly<Record<string, Json>> }> {
    this.assertOpen('objects');
    return this.file.objects(type);
  }

  objectForPrimaryKey(type: string, id: string): Readonly<Record<string, Json>> | undefined {
    this.assertOpen('objectForPrimaryKey');
    return this.file.objectForPrimaryKey(type, id);
  }

  /** Calls `listener` after each commit, local or downloaded; returns the unsubscribe. */
  addListener(listener: (change: RealmChange) => void): () => void {
    this.assertOpen('addListener');
    return this.file.addListener(listener);
  }

  /** Closes this handle; the last handle applies the session's stop policy. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  private assertOpen(verb: string): void {
    if (this.closed) throw new RealmClosedError(this.path, verb);
  }
}
