import { dirname } from 'node:path';
import type { Json } from '../protocol/json.codec.js';
import type { FileSystem } from '../store/file-system.js';
import type { RealmChange, RealmFile } from '../store/realm-file.js';
import { RealmClosedError } from '../store/store-errors.js';
import type { Transaction } from '../store/transaction.js';
import { anyObject, obj, str, validateOptions } from '../config/option-schema.js';
import { App } from './app.js';
import { defaultRealmPath, legacyRealmPath } from './file-names.js';
import { claimUserFolder, userFolderOwner } from './user-folder.js';
import { checkSyncConfiguration, type SyncConfiguration } from './sync-config.js';
import { realmSessions, type SyncSession } from './sync-session.js';

/** `Realm.open`'s own keys; `sync` is checked by its own schema (after its type check here). */
const realmConfigSchema = obj({ path: str({ nonEmpty: true }), sync: anyObject() });

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
   * Bad configuration throws a `TypeError` naming the field before anything is opened.
   */
  static async open(config: RealmConfiguration): Promise<Realm> {
    if (typeof config !== 'object' || config === null) throw new TypeError('Realm.open: configuration must be an object');
    validateOptions('Realm.open', realmConfigSchema, config);
    if (config.sync === undefined) {
      if (config.path === undefined) throw new TypeError('Realm.open: a local realm needs a path (a synced one: sync)');
      const { RealmFile } = await import('../store/realm-file.js');
      const file = RealmFile.open({ path: config.path });
      return new Realm(config.path, file, () => file.close());
    }
    checkSyncConfiguration(config.sync);
    const app = App.of(config.sync.user);
    const path = config.path ?? syncedRealmPath(app.config.fileSystem, app.config.storageDir, config.sync.user.id, config.sync.partition);
    const { file, session } = app.syncManager.openHandle(path, config.sync);
    const realm = new Realm(path, file, () => app.syncManager.closeHandle(path));
    if (session !== undefined) realmSessions.set(realm, session);
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
