/**
 * The few synchronous file-system steps that durability rests on, each in one place so that the
 * order of write, fsync and rename is easy to audit. Each takes the file port it works on
 * (`file-system.ts`): the real file system, or a simulated disk.
 */
import * as path from 'node:path';
import type { FileSystem } from './file-system.js';

/**
 * The mode of every file the store creates: realm files and histories hold a user's data, so
 * only their owner reads them. Passed to `open` and set again with `fchmod` where a file may
 * already exist, so the result does not depend on the process umask.
 */
export const PRIVATE_FILE_MODE = 0o600;

/** The mode of every directory the store creates (see {@link PRIVATE_FILE_MODE}). */
export const PRIVATE_DIRECTORY_MODE = 0o700;

/** Writes all of `bytes` at `position`, looping over short writes (allowed by POSIX, rare on regular files). */
export function writeFully(fs: FileSystem, fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
    if (n <= 0) throw new Error(`write returned ${n}`);
    done += n;
  }
}

/** Reads the whole of an open file. */
export function readFully(fs: FileSystem, fd: number): Buffer {
  const size = fs.fstatSync(fd).size;
  const out = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const n = fs.readSync(fd, out, done, size - done, done);
    if (n === 0) break;
    done += n;
  }
  return done === size ? out : out.subarray(0, done);
}

/**
 * Directories holding an entry created since their last fsync. Creating a file does not sync
 * its directory at once: the entry must be durable only before something in the file is
 * promised durable, and one directory fsync then covers every file created in it so far
 * (thousands of realm files created together cost one, not thousands).
 */
const unsyncedByFileSystem = new WeakMap<FileSystem, Set<string>>();

/** The directories of `fs` with an entry not durable yet (one set per file system: two disks may hold one path). */
function unsyncedOf(fs: FileSystem): Set<string> {
  let set = unsyncedByFileSystem.get(fs);
  if (set === undefined) {
    set = new Set();
    unsyncedByFileSystem.set(fs, set);
  }
  return set;
}

/** Records that `dir` got a new entry that is not durable yet (see {@link syncDirectoryIfPending}). */
export function noteNewEntry(fs: FileSystem, dir: string): void {
  unsyncedOf(fs).add(path.resolve(dir));
}

/**
 * Makes the entries created in `dir` durable, if any were noted since its last fsync. After it
 * returns, every file {@link noteNewEntry} was called for before the call keeps its name across
 * power loss.
 */
export function syncDirectoryIfPending(fs: FileSystem, dir: string): void {
  if (unsyncedOf(fs).has(path.resolve(dir))) fsyncDirectory(fs, dir);
}

/**
 * Makes a directory entry change (a created or renamed file) durable. Without it, a file whose
 * data was fsynced can still vanish after power loss, because its name was never written.
 */
export function fsyncDirectory(fs: FileSystem, dir: string): void {
  // Forgotten before the fsync, which covers every entry made before it; remembered again if
  // it fails, so another file of the directory does not take its entry for durable.
  const key = path.resolve(dir);
  const unsynced = unsyncedOf(fs);
  const wasPending = unsynced.delete(key);
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if (wasPending) unsynced.add(key);
    throw error;
  }
}

/**
 * Writes a whole new file holding exactly `bytes` and fsyncs it; on failure the partial file is
 * removed. The first half of an atomic replace: the caller renames it into place.
 */
export function writeFileDurably(fs: FileSystem, file: string, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'w', PRIVATE_FILE_MODE);
  try {
    // A scratch file left behind keeps its old mode through `w`: the rename must not publish it.
    fs.fchmodSync(fd, PRIVATE_FILE_MODE);
    writeFully(fs, fd, bytes, 0);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    removeQuietly(fs, file);
    throw error;
  }
  fs.closeSync(fd);
}

/**
 * Creates `dir` and its missing ancestors, and fsyncs the parent of each one created, so that a
 * file later made durable inside it cannot lose its path to power loss.
 */
export function makeDirectoryDurably(fs: FileSystem, dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  if (first === undefined) return;
  const created: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    created.push(d);
    if (d === path.resolve(first) || d === path.dirname(d)) break;
  }
  // mkdir's mode is masked by the umask; the directories made here are private whatever it is.
  for (const d of created) fs.chmodSync(d, PRIVATE_DIRECTORY_MODE);
  for (const d of created.reverse()) fsyncDirectory(fs, path.dirname(d));
}

/** Removes a scratch file if it is there; cleanup that must never hide the error that caused it. */
export function removeQuietly(fs: FileSystem, file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // Left for the next open to remove.
  }
}
