import type { FileStat, FileSystem } from '../store/file-system.js';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { checkMagic, RECORD_LOG_MAGIC } from '../store/record-framing.js';
import { InvalidActionTokenError } from './errors.js';

/** The longest path a recorded action may name (characters); far above any real realm path. */
const MAX_PATH_LENGTH = 4096;

/** Whether `child` is `root` itself or lies inside it (both resolved). */
const inside = (root: string, child: string): boolean => {
  const rel = relative(root, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
};

/**
 * Checks, by its text alone, that `realmPath` may be recorded for the next start: a `.realm`
 * file strictly inside `storageDir`, reached without a `..` step. Throws
 * {@link InvalidActionTokenError} otherwise.
 */
export function checkRecordablePath(storageDir: string, realmPath: unknown): string {
  if (typeof realmPath !== 'string' || realmPath === '' || realmPath.length > MAX_PATH_LENGTH || realmPath.includes('\0')) {
    throw new InvalidActionTokenError('a recorded error action needs a realm path');
  }
  if (realmPath.split(/[\\/]/).includes('..')) throw new InvalidActionTokenError(`a recorded error action may not name a path with '..': ${realmPath}`);
  const absolute = resolve(realmPath);
  if (!absolute.endsWith('.realm') || dirname(absolute) === absolute || !inside(resolve(storageDir), dirname(absolute))) {
    throw new InvalidActionTokenError(`a recorded error action must name a .realm file under storageDir ${storageDir}: ${realmPath}`);
  }
  return absolute;
}

/**
 * Where a recorded action (read back from `pending-error-actions.json`, which anyone able to
 * write to `storageDir` could have written) may act: the real path of a realm file under the
 * real `storageDir`, or `undefined` when the file is gone (nothing to do). Refused with
 * {@link InvalidActionTokenError}: a path outside `storageDir` or with `..`, one whose
 * directory is a symlink leading out, a symlink or anything but a regular file, and a file that
 * does not start as a realm file does.
 */
export function resolveRecordedRealmPath(fs: FileSystem, storageDir: string, realmPath: unknown): string | undefined {
  const absolute = checkRecordablePath(storageDir, realmPath);
  let realDir: string;
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(storageDir);
    realDir = fs.realpathSync(dirname(absolute));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!inside(realRoot, realDir)) throw new InvalidActionTokenError(`a recorded error action names a path that leads out of storageDir: ${absolute}`);
  const real = join(realDir, basename(absolute));
  let stat: FileStat;
  try {
    stat = fs.lstatSync(real);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!stat.isFile()) throw new InvalidActionTokenError(`a recorded error action names something that is not a plain realm file: ${absolute}`);
  if (!startsLikeARealmFile(fs, real)) throw new InvalidActionTokenError(`a recorded error action names a file that is not a realm file: ${absolute}`);
  return real;
}

/** A realm file starts with the record-log magic, or a torn prefix of it (a creation cut short). */
function startsLikeARealmFile(fs: FileSystem, file: string): boolean {
  // O_NOFOLLOW: a symlink swapped in since the lstat is not followed.
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const head = Buffer.alloc(RECORD_LOG_MAGIC.length);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return checkMagic(head.subarray(0, n)) !== 'foreign';
  } finally {
    fs.closeSync(fd);
  }
}
