import type { FileSystem } from '../store/file-system.js';
import { dirname, join } from 'node:path';
import type { ErrorAction } from '../../machines/types.js';
import { fsyncDirectory, makeDirectoryDurably, PRIVATE_FILE_MODE, writeFileDurably } from '../store/durable-fs.js';
import { acquireFileLock, lockPathOfFile } from '../store/file-lock.js';

const FILE = 'pending-error-actions.json';

/**
 * An error action as kept on disk: plain data, which anyone able to write to `storageDir` can
 * forge, so it is checked again before it runs (`resolveRecordedRealmPath`).
 */
export interface RecordedAction {
  readonly action: ErrorAction;
  readonly realmPath: string;
  /** The backup path the error named (`clientResetBackup`). */
  readonly backupPath?: string;
}

const isRecord = (value: unknown): value is RecordedAction =>
  typeof value === 'object' &&
  value !== null &&
  ((value as RecordedAction).action === 'deleteLocalFile' || (value as RecordedAction).action === 'clientResetBackup') &&
  typeof (value as RecordedAction).realmPath === 'string';

/** The suffix of a backup path: `.backup-` and an ISO time with `:` and `.` made `-`. */
const BACKUP_SUFFIX = /^\.backup-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z(-\d{1,4})?$/;

/** Where a manual client reset at `nowMs` moves the file at `realmPath`. */
export function backupPathFor(realmPath: string, nowMs: number): string {
  return `${realmPath}.backup-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * `backupPath` if it is a backup path of `realmPath` as {@link backupPathFor} makes them (a
 * recorded one is read from a file anyone able to write `storageDir` can forge: it must not
 * name another file), else `undefined`.
 */
export function checkedBackupPath(realmPath: string, backupPath: unknown): string | undefined {
  if (typeof backupPath !== 'string' || !backupPath.startsWith(realmPath)) return undefined;
  return BACKUP_SUFFIX.test(backupPath.slice(realmPath.length)) ? backupPath : undefined;
}

/**
 * The backup path `recorded` named for `recordedRealmPath`, moved onto `resolvedRealmPath` (the
 * same file reached without symlinks or relative parts): only its checked suffix is kept.
 */
export function backupPathOnto(recordedRealmPath: string, recorded: string | undefined, resolvedRealmPath: string): string | undefined {
  const checked = checkedBackupPath(recordedRealmPath, recorded);
  return checked === undefined ? undefined : `${resolvedRealmPath}${checked.slice(recordedRealmPath.length)}`;
}

/**
 * Error actions not run yet, kept in the app's storage directory: docs/SEMANTICS.md §5 says an
 * action not run with `immediatelyHandleError` runs at the next `App` start.
 */
export class PendingActions {
  private readonly path: string;
  /**
   * The list as last read or written. The file belongs to this app's storage directory (one
   * app per directory), so after the first read memory is authoritative: every bound session
   * asks to clear its entry (`remove`), and reading the file each time cost thousands of failed
   * reads when thousands bind.
   */
  private cached: readonly RecordedAction[] | undefined;

  constructor(
    private readonly storageDir: string,
    private readonly fs: FileSystem,
  ) {
    this.path = join(storageDir, FILE);
  }

  list(): RecordedAction[] {
    this.cached ??= this.read();
    return [...this.cached];
  }

  private read(): RecordedAction[] {
    try {
      const parsed: unknown = JSON.parse(this.fs.readFileSync(this.path, 'utf8'));
      return Array.isArray(parsed)
        ? parsed.filter(isRecord).map(({ action, realmPath, backupPath }) => {
            const checked = action === 'clientResetBackup' ? checkedBackupPath(realmPath, backupPath) : undefined;
            return checked === undefined ? { action, realmPath } : { action, realmPath, backupPath: checked };
          })
        : [];
    } catch {
      return [];
    }
  }

  add(token: RecordedAction): void {
    const list = this.list().filter((t) => t.realmPath !== token.realmPath);
    this.save([...list, token.backupPath === undefined ? { action: token.action, realmPath: token.realmPath } : { action: token.action, realmPath: token.realmPath, backupPath: token.backupPath }]);
  }

  remove(realmPath: string): void {
    const list = this.list();
    if (list.some((t) => t.realmPath === realmPath)) this.save(list.filter((t) => t.realmPath !== realmPath));
  }

  private save(list: readonly RecordedAction[]): void {
    makeDirectoryDurably(this.fs, this.storageDir);
    // Write, fsync, rename, fsync the folder: a crash or a power loss leaves the old list or the
    // new one, never half of one, and once this returns the new one stays (an action recorded,
    // then lost, would leave a file the server refused to be synced again). Private (0600)
    // whatever the umask: the list names the user's realm files.
    const tmp = `${this.path}.tmp`;
    writeFileDurably(this.fs, tmp, Buffer.from(JSON.stringify(list), 'utf8'));
    this.fs.renameSync(tmp, this.path);
    fsyncDirectory(this.fs, this.storageDir);
    this.cached = [...list];
  }
}

/**
 * Runs one error action on a closed realm file; returns the backup path for a client reset.
 * The caller has decided that `realmPath` may be acted on (an issued token, or a recorded
 * action whose path was checked). Under the file's lock: a file another process (or app) has
 * open is left alone, and `FileLockedError` says so. The lock file stays: the path's next file
 * is guarded by it.
 */
export function runErrorAction(fs: FileSystem, action: ErrorAction, realmPath: string, now: () => number = Date.now, named?: string): string | undefined {
  if (!fs.existsSync(realmPath)) return undefined;
  const lock = acquireFileLock(fs, realmPath, lockPathOfFile(realmPath));
  try {
    if (action === 'deleteLocalFile') {
      fs.rmSync(realmPath);
      // Durable before the caller forgets the recorded action: a deletion lost to power loss
      // would bring back the file the action was for, with nothing left to delete it again.
      fsyncDirectory(fs, dirname(realmPath));
      return undefined;
    }
    // The path the error named, unless a file is there already (a rename would replace it):
    // then one beside it, which the caller is told.
    const base = checkedBackupPath(realmPath, named) ?? backupPathFor(realmPath, now());
    let backup = base;
    for (let n = 2; fs.existsSync(backup); n++) {
      if (n > 9_999) throw new Error(`cannot move ${realmPath} to a backup: ${base} and 9,998 beside it are taken`);
      backup = `${base}-${n}`;
    }
    fs.renameSync(realmPath, backup);
    fsyncDirectory(fs, dirname(realmPath));
    // A file made before realm files were private keeps its mode through the rename; a backup is
    // the user's data all the same.
    fs.chmodSync(backup, PRIVATE_FILE_MODE);
    return backup;
  } finally {
    lock.release();
  }
}
