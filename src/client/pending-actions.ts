import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireFileLock, lockPathOfFile } from '../store/file-lock.js';
import type { ErrorActionToken } from './errors.js';

const FILE = 'pending-error-actions.json';

const isToken = (value: unknown): value is ErrorActionToken =>
  typeof value === 'object' &&
  value !== null &&
  ((value as ErrorActionToken).action === 'deleteLocalFile' || (value as ErrorActionToken).action === 'clientResetBackup') &&
  typeof (value as ErrorActionToken).realmPath === 'string';

/**
 * Error actions not run yet, kept in the app's storage directory: SEMANTICS.md §5 says an
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
  private cached: readonly ErrorActionToken[] | undefined;

  constructor(private readonly storageDir: string) {
    this.path = join(storageDir, FILE);
  }

  list(): ErrorActionToken[] {
    this.cached ??= this.read();
    return [...this.cached];
  }

  private read(): ErrorActionToken[] {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.path, 'utf8'));
      return Array.isArray(parsed) ? parsed.filter(isToken) : [];
    } catch {
      return [];
    }
  }

  add(token: ErrorActionToken): void {
    const list = this.list().filter((t) => t.realmPath !== token.realmPath);
    this.save([...list, token]);
  }

  remove(realmPath: string): void {
    const list = this.list();
    if (list.some((t) => t.realmPath === realmPath)) this.save(list.filter((t) => t.realmPath !== realmPath));
  }

  private save(list: readonly ErrorActionToken[]): void {
    mkdirSync(this.storageDir, { recursive: true });
    // Write and rename: a crash leaves the old list or the new one, never half of one.
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(list));
    renameSync(tmp, this.path);
    this.cached = [...list];
  }
}

/**
 * Runs one error action on a closed realm file; returns the backup path for a client reset.
 * Under the file's lock: a file another process (or app) has open is left alone, and
 * `FileLockedError` says so. The lock file stays: the path's next file is guarded by it.
 */
export function runErrorAction(token: ErrorActionToken): string | undefined {
  if (!existsSync(token.realmPath)) return undefined;
  const lock = acquireFileLock(token.realmPath, lockPathOfFile(token.realmPath));
  try {
    if (token.action === 'deleteLocalFile') {
      rmSync(token.realmPath);
      return undefined;
    }
    const backup = `${token.realmPath}.backup-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(token.realmPath, backup);
    return backup;
  } finally {
    lock.release();
  }
}
