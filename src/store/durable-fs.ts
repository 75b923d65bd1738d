/**
 * The few synchronous file-system steps that durability rests on, each in one place so that the
 * order of write, fsync and rename is easy to audit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes all of `bytes` at `position`, looping over short writes (allowed by POSIX, rare on regular files). */
export function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
    if (n <= 0) throw new Error(`write returned ${n}`);
    done += n;
  }
}

/** Reads the whole of an open file. */
export function readFully(fd: number): Buffer {
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
 * Makes a directory entry change (a created or renamed file) durable. Without it, a file whose
 * data was fsynced can still vanish after power loss, because its name was never written.
 */
export function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes a whole new file holding exactly `bytes` and fsyncs it; on failure the partial file is
 * removed. The first half of an atomic replace: the caller renames it into place.
 */
export function writeFileDurably(file: string, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    writeFully(fd, bytes, 0);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    removeQuietly(file);
    throw error;
  }
  fs.closeSync(fd);
}

/**
 * Creates `dir` and its missing ancestors, and fsyncs the parent of each one created, so that a
 * file later made durable inside it cannot lose its path to power loss.
 */
export function makeDirectoryDurably(dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  const created: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    created.push(d);
    if (d === path.resolve(first) || d === path.dirname(d)) break;
  }
  for (const d of created.reverse()) fsyncDirectory(path.dirname(d));
}

/** Removes a scratch file if it is there; cleanup that must never hide the error that caused it. */
export function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // Left for the next open to remove.
  }
}
