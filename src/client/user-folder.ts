/**
 * Which user a folder of synced realms belongs to. Folders are named `fileNameStem(userId)`,
 * and a realm an earlier version left under the raw user id is still opened; but one user's
 * raw id can be another user's stem (`bob-81b637d8fcd2` is a plain id too), so the raw-id
 * folder of one may be the encoded folder of the other. Every folder this version makes names
 * its user in `.user-id`; a folder that names someone else is never taken as a legacy one.
 */
import { join } from 'node:path';
import { fsyncDirectory, makeDirectoryDurably, PRIVATE_FILE_MODE } from '../store/durable-fs.js';
import type { FileSystem } from '../store/file-system.js';

/** The file in a user folder that names its user. */
export const USER_FOLDER_MARKER = '.user-id';

/** Who `dir` says it belongs to: the id in its marker (`''` for a torn one), or `undefined` if it names nobody. */
export function userFolderOwner(fs: FileSystem, dir: string): string | undefined {
  try {
    return fs.readFileSync(join(dir, USER_FOLDER_MARKER), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Makes `dir` (private, durably) and names `userId` in it unless it names someone already.
 * Before the realm file is made in it: a folder holding a realm of this version always names
 * its user, even after a crash (a torn marker names nobody real, and still is no legacy folder).
 */
export function claimUserFolder(fs: FileSystem, dir: string, userId: string): void {
  // Once per folder and process: thousands of realms opened for one user cost one check.
  const claimed = claimedOn(fs);
  if (claimed.has(dir)) return;
  makeDirectoryDurably(fs, dir);
  if (userFolderOwner(fs, dir) !== undefined) {
    claimed.add(dir);
    return;
  }
  try {
    fs.writeFileSync(join(dir, USER_FOLDER_MARKER), userId, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  } catch (error) {
    // Another process named it first: it names whoever that was.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    claimed.add(dir);
    return;
  }
  fsyncDirectory(fs, dir);
  claimed.add(dir);
}

/** Folders claimed (or found named) in this process, per file system (two simulated disks may hold one path). */
const claimedByFileSystem = new WeakMap<FileSystem, Set<string>>();

function claimedOn(fs: FileSystem): Set<string> {
  let set = claimedByFileSystem.get(fs);
  if (set === undefined) {
    set = new Set();
    claimedByFileSystem.set(fs, set);
  }
  return set;
}
