/**
 * The file port: every file-system call the store (realm files, record logs, locks) and the
 * server's file backend make, and nothing else. The default is Node's `fs`
 * ({@link nodeFileSystem}); `sync-session/testing` puts a simulated disk behind the same port, so
 * that a crash can lose exactly what was not fsynced. Calls are Node's: same names, arguments,
 * results and errors (an `Error` with `code`, such as `ENOENT` or `EEXIST`).
 */
import * as fs from 'node:fs';
import { tryLock, unlock } from 'fs-native-extensions';

/** What `fstatSync`, `statSync` and `lstatSync` give: the fields the store reads. */
export interface FileStat {
  readonly size: number;
  readonly ino: number;
  readonly dev: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** Node's open flags: a string (`'r'`, `'r+'`, `'w'`, `'wx+'`) or a number from {@link FileSystem.constants}. */
export type OpenFlags = string | number;

/** The subset of `node:fs` the store and the server's file backend use. */
export interface FileSystem {
  readonly constants: { readonly O_RDWR: number; readonly O_CREAT: number; readonly O_EXCL: number; readonly O_RDONLY: number; readonly O_NOFOLLOW: number };
  openSync(path: string, flags: OpenFlags, mode?: number): number;
  closeSync(fd: number): void;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  /** Like `fs.read`, resolving to the bytes read. */
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  fsyncSync(fd: number): void;
  fdatasyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  fstatSync(fd: number): FileStat;
  fchmodSync(fd: number, mode: number): void;
  statSync(path: string): FileStat;
  lstatSync(path: string): FileStat;
  existsSync(path: string): boolean;
  renameSync(from: string, to: string): void;
  rmSync(path: string, options?: { readonly force?: boolean; readonly recursive?: boolean }): void;
  mkdirSync(path: string, options: { readonly recursive: true; readonly mode?: number }): string | undefined;
  chmodSync(path: string, mode: number): void;
  readdirSync(path: string): string[];
  realpathSync(path: string): string;
  readFileSync(path: string, encoding: 'utf8'): string;
  writeFileSync(path: string, data: string, options: { readonly mode?: number; readonly flag?: string }): void;
  /**
   * Takes an exclusive lock on the open file `fd` without waiting: `false` if another open file
   * description holds it. Released by {@link unlockFile}, by closing `fd`, or by the holder's death.
   */
  tryLockFile(fd: number): boolean;
  unlockFile(fd: number): void;
}

/** The real file system: `node:fs`, with the lock of `fs-native-extensions` (see `file-lock.ts`). */
export const nodeFileSystem: FileSystem = {
  constants: fs.constants,
  openSync: (path, flags, mode) => fs.openSync(path, flags, mode),
  closeSync: (fd) => fs.closeSync(fd),
  readSync: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  read: (fd, buffer, offset, length, position) =>
    new Promise((resolve, reject) => fs.read(fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)))),
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  fdatasyncSync: (fd) => fs.fdatasyncSync(fd),
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  fstatSync: (fd) => fs.fstatSync(fd),
  fchmodSync: (fd, mode) => fs.fchmodSync(fd, mode),
  statSync: (path) => fs.statSync(path),
  lstatSync: (path) => fs.lstatSync(path),
  existsSync: (path) => fs.existsSync(path),
  renameSync: (from, to) => fs.renameSync(from, to),
  rmSync: (path, options) => fs.rmSync(path, options),
  mkdirSync: (path, options) => fs.mkdirSync(path, options),
  chmodSync: (path, mode) => fs.chmodSync(path, mode),
  readdirSync: (path) => fs.readdirSync(path),
  realpathSync: (path) => fs.realpathSync(path),
  readFileSync: (path, encoding) => fs.readFileSync(path, encoding),
  writeFileSync: (path, data, options) => fs.writeFileSync(path, data, options),
  tryLockFile: (fd) => tryLock(fd),
  unlockFile: (fd) => void unlock(fd),
};
