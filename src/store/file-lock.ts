/**
 * Single-writer files: an OS-level exclusive lock held while a realm file (or a server's data
 * directory) is open. Two writers on one record log interleave and overwrite each other's
 * records, so the second opener is refused before it reads anything.
 *
 * The lock is taken through the file port (`FileSystem.tryLockFile`; on the real file system
 * with `fs-native-extensions` (Holepunch, prebuilt binaries in the package,
 * no install script)): on Linux an `F_OFD_SETLK` lock, on macOS `flock`, on Windows `LockFileEx`.
 * It is a true kernel lock: per open file description (a second open in the same process is
 * refused too) and released by the kernel when the holder dies, SIGKILL included, so a crash
 * never leaves a lock behind. `proper-lockfile`, the usual npm answer, is a lock directory
 * kept fresh by mtime: after a SIGKILL it blocks the next open until its stale period passes,
 * and two processes that disagree about staleness can both hold it.
 *
 * The lock sits on a sidecar file (`<realm>.lock`, `<dataDir>/.lock`), not on the realm file:
 * compaction and client reset replace the realm file by rename, and a lock on the inode renamed
 * away would guard nothing. The sidecar is never deleted: a holder deleting it while another
 * process opens it would let the two lock different inodes.
 */
import * as path from 'node:path';
import { makeDirectoryDurably, readFully, writeFully } from './durable-fs.js';
import type { FileSystem } from './file-system.js';
import { FileLockedError } from './store-errors.js';

/** Bytes of the pid record in a lock file: any pid (at most 10 digits) padded with spaces, then a newline. */
const PID_WIDTH = 12;

/** A held lock; {@link release} lets it go. */
export interface FileLock {
  /** What the lock guards (the realm file or the data directory), as given. */
  readonly path: string;
  /** The sidecar file the lock is taken on. */
  readonly lockPath: string;
  readonly isReleased: boolean;
  /** Unlocks and closes the sidecar (left in place, see the module comment). Idempotent. */
  release(): void;
}

/** The sidecar that guards the realm file `file`. */
export const lockPathOfFile = (file: string): string => `${path.resolve(file)}.lock`;

/** The sidecar that guards everything under the directory `dir`. */
export const lockPathOfDirectory = (dir: string): string => path.join(path.resolve(dir), '.lock');

/**
 * Takes the exclusive lock guarding `guarded` on the sidecar `lockPath` (created, mode 0600,
 * with its directory, if missing) and writes this process's pid into it for the message of the
 * next one refused. Throws {@link FileLockedError} naming `guarded` and, where it could be
 * read, the holder's pid, if any open file description (this process's included) holds it.
 */
export function acquireFileLock(fs: FileSystem, guarded: string, lockPath: string): FileLock {
  // Durably: the realm file created in this directory later finds it existing and would not
  // fsync its parent (see `makeDirectoryDurably`). The sidecar itself need not survive power loss.
  makeDirectoryDurably(fs, path.dirname(lockPath));
  const fd = fs.openSync(lockPath, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  try {
    if (!fs.tryLockFile(fd)) throw new FileLockedError(guarded, lockPath, holderPid(fs, fd));
    // Always the same length, so it overwrites the last holder's record whole: no truncate
    // (a metadata update per open). A dead holder's pid stays until then; it is only read by
    // someone refused, and a live holder writes its own right after locking.
    writeFully(fs, fd, Buffer.from(`${String(process.pid).padEnd(PID_WIDTH - 1)}\n`), 0);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  let released = false;
  return {
    path: guarded,
    lockPath,
    get isReleased() {
      return released;
    },
    release() {
      if (released) return;
      released = true;
      try {
        fs.unlockFile(fd);
      } finally {
        // Closing drops the lock as well; unlocking first keeps that true even if close fails.
        fs.closeSync(fd);
      }
    },
  };
}

/** The pid the holder wrote into the sidecar, if it is there and readable. */
function holderPid(fs: FileSystem, fd: number): number | undefined {
  try {
    const text = readFully(fs, fd).toString('latin1').trim();
    return /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : undefined;
  } catch {
    // Windows' mandatory lock forbids reading the range; the pid is only for the message.
    return undefined;
  }
}
