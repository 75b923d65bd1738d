/**
 * A simulated disk behind the file port, with the durability rules of POSIX on power loss:
 * a file's bytes are durable once an `fsync`/`fdatasync` of it returned, a name (created,
 * renamed, removed) once an `fsync` of its directory returned, and nothing else is. A
 * {@link SimDisk.crash} keeps exactly that, plus, where a file only grew since its last sync,
 * a seeded prefix of what it grew by: the last unsynced record may survive whole, torn, or not
 * at all, as on a real disk.
 *
 * Each machine of a simulated world has its own disk; {@link SimDisk.mount} is one run of its
 * process (its descriptors and locks), and a crash ends that run: calls through it fail with
 * `EIO` from then on, so code of the dead process that is still unwinding changes nothing.
 */
import * as fs from 'node:fs';
import { posix as path } from 'node:path';
import type { FileStat, FileSystem, OpenFlags } from '../store/file-system.js';
import type { SeededRandom } from './seeded-random.js';

/** A file's contents: what processes see, and what survives a crash. */
class Inode {
  data = new Uint8Array(64);
  size = 0;
  /** The bytes as of the last sync. */
  durable = new Uint8Array(0);
  /** The lowest offset changed since the last sync (`Infinity`: nothing changed). */
  dirtyFrom = Infinity;
  /** The open file holding its lock. */
  lockedBy: OpenFile | undefined;

  constructor(
    readonly ino: number,
    public mode: number,
  ) {}

  bytes(): Uint8Array {
    return this.data.subarray(0, this.size);
  }

  write(bytes: Uint8Array, at: number): void {
    const end = at + bytes.length;
    if (end > this.data.length) {
      const grown = new Uint8Array(Math.max(end, this.data.length * 2));
      grown.set(this.bytes());
      this.data = grown;
    }
    // A gap left by writing past the end reads as zeros, as on a real file.
    if (at > this.size) this.data.fill(0, this.size, at);
    this.data.set(bytes, at);
    this.size = Math.max(this.size, end);
    this.dirtyFrom = Math.min(this.dirtyFrom, at);
  }

  truncate(length: number): void {
    if (length > this.data.length) {
      const grown = new Uint8Array(length);
      grown.set(this.bytes());
      this.data = grown;
    }
    if (length > this.size) this.data.fill(0, this.size, length);
    this.dirtyFrom = Math.min(this.dirtyFrom, Math.min(length, this.size));
    this.size = length;
  }

  sync(): void {
    this.durable = this.bytes().slice();
    this.dirtyFrom = Infinity;
  }

  /** What a crash leaves of it: the synced bytes, and maybe part of what was appended since. */
  crash(random: SeededRandom): void {
    const grewOnly = this.dirtyFrom >= this.durable.length && this.size > this.durable.length;
    // Lost, kept whole, or torn: a third each.
    const roll = grewOnly ? random.int(0, 2) : 0;
    const keep = roll === 0 ? this.durable.length : roll === 1 ? this.size : random.int(this.durable.length, this.size);
    const kept = grewOnly ? this.bytes().slice(0, keep) : this.durable.slice();
    this.data = new Uint8Array(Math.max(64, kept.length));
    this.data.set(kept);
    this.size = kept.length;
    this.durable = this.bytes().slice();
    this.dirtyFrom = Infinity;
    this.lockedBy = undefined;
  }
}

/** A directory: its entries, and those of them that a crash keeps. */
class Directory {
  entries = new Map<string, Inode | Directory>();
  /** The entries as of the last fsync of this directory. */
  durable = new Map<string, Inode | Directory>();

  constructor(
    readonly ino: number,
    public mode: number,
  ) {}
}

/** One open file description. */
interface OpenFile {
  readonly node: Inode | Directory;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly append: boolean;
  position: number;
}

/** Node's flag bits on this platform, used to read numeric flags the way `fs.openSync` does. */
const C = fs.constants;

/** An error as Node's `fs` throws it: `code`, `syscall`, `path`. */
function fsError(code: string, syscall: string, target?: string): Error {
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EEXIST: 'file already exists',
    EBADF: 'bad file descriptor',
    EISDIR: 'illegal operation on a directory',
    ENOTDIR: 'not a directory',
    ENOTEMPTY: 'directory not empty',
    EIO: 'i/o error (the simulated machine crashed)',
  };
  const error = new Error(`${code}: ${text[code] ?? code}, ${syscall}${target === undefined ? '' : ` '${target}'`}`) as Error & { code: string; syscall: string; path?: string };
  error.code = code;
  error.syscall = syscall;
  if (target !== undefined) error.path = target;
  return error;
}

interface ParsedFlags {
  readable: boolean;
  writable: boolean;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  append: boolean;
}

function parseFlags(flags: OpenFlags): ParsedFlags {
  if (typeof flags === 'number') {
    const access = flags & 3;
    return {
      readable: access !== C.O_WRONLY,
      writable: access !== C.O_RDONLY,
      create: (flags & C.O_CREAT) !== 0,
      exclusive: (flags & C.O_EXCL) !== 0,
      truncate: (flags & C.O_TRUNC) !== 0,
      append: (flags & C.O_APPEND) !== 0,
    };
  }
  const table: Record<string, ParsedFlags> = {
    r: { readable: true, writable: false, create: false, exclusive: false, truncate: false, append: false },
    'r+': { readable: true, writable: true, create: false, exclusive: false, truncate: false, append: false },
    w: { readable: false, writable: true, create: true, exclusive: false, truncate: true, append: false },
    'w+': { readable: true, writable: true, create: true, exclusive: false, truncate: true, append: false },
    wx: { readable: false, writable: true, create: true, exclusive: true, truncate: true, append: false },
    'wx+': { readable: true, writable: true, create: true, exclusive: true, truncate: true, append: false },
    a: { readable: false, writable: true, create: true, exclusive: false, truncate: false, append: true },
    'a+': { readable: true, writable: true, create: true, exclusive: false, truncate: false, append: true },
  };
  const parsed = table[flags];
  if (parsed === undefined) throw new TypeError(`the simulated disk does not know the open flags ${JSON.stringify(flags)}`);
  return parsed;
}

/** Counts of what the disk was asked, for a run's stats. */
export interface DiskStats {
  writes: number;
  syncs: number;
  crashes: number;
}

/** The disk of one simulated machine. */
export class SimDisk {
  private root: Directory;
  private nextIno = 2;
  private current: DiskMount | undefined;
  readonly stats: DiskStats = { writes: 0, syncs: 0, crashes: 0 };

  constructor(
    /** Whose disk, for messages. */
    readonly name: string,
    private readonly random: SeededRandom,
  ) {
    this.root = new Directory(1, 0o755);
  }

  /** An armed power loss: calls that change the disk still to go before it, and who dies then. */
  private armed: { remaining: number; readonly onCrash: () => void } | undefined;

  /**
   * Power loss inside a call, not between two: the `calls`-th call from now that changes the
   * disk (a write, sync, rename, removal, truncation or creation) does not happen; `onCrash`
   * runs in its place and must crash the machine (this disk with it), and the call fails with
   * `EIO`. How a test kills a process at an instant inside a write path. One at a time: arming
   * again replaces it; {@link disarm} drops it.
   */
  armCrash(calls: number, onCrash: () => void): void {
    if (!Number.isSafeInteger(calls) || calls < 1) throw new RangeError(`armCrash: calls must be a whole number ≥ 1, not ${String(calls)}`);
    this.armed = { remaining: calls, onCrash };
  }

  /**
   * Runs `fn` with an armed power loss held back: the harness reading this disk (a checker, a
   * backup's contents) is no process of the machine, and must not be where it strikes.
   */
  unarmed<T>(fn: () => T): T {
    const armed = this.armed;
    this.armed = undefined;
    try {
      return fn();
    } finally {
      if (this.armed === undefined && this.current !== undefined) this.armed = armed;
    }
  }

  /** Drops an armed power loss. */
  disarm(): void {
    this.armed = undefined;
  }

  /** Whether a power loss is armed and has not struck. */
  get isArmed(): boolean {
    return this.armed !== undefined;
  }

  /** @internal Called by a mount before each call that changes the disk. */
  beforeMutation(): void {
    const armed = this.armed;
    if (armed === undefined || --armed.remaining > 0) return;
    this.armed = undefined;
    armed.onCrash();
    // Whatever `onCrash` did, this disk lost power.
    if (this.current !== undefined) this.crash();
  }

  /** Starts a run of the machine's process: the file port it uses until the next crash. */
  mount(): FileSystem {
    this.current?.end();
    this.current = new DiskMount(this);
    return this.current;
  }

  /**
   * Power loss: every process of the machine dies (its descriptors and locks go), and the disk
   * keeps only what was durable (see the module comment). Call {@link mount} to start again.
   */
  crash(): void {
    this.armed = undefined;
    this.current?.end();
    this.current = undefined;
    this.stats.crashes++;
    const inodes = new Set<Inode>();
    const restore = (dir: Directory): void => {
      dir.entries = new Map(dir.durable);
      for (const child of dir.entries.values()) {
        if (child instanceof Directory) restore(child);
        else inodes.add(child);
      }
    };
    restore(this.root);
    // In a fixed order (inode numbers), so the torn lengths replay.
    for (const inode of [...inodes].sort((a, b) => a.ino - b.ino)) inode.crash(this.random);
  }

  /** Every file on the disk now and its size, for traces and tests. */
  listing(): Array<{ path: string; size: number }> {
    const out: Array<{ path: string; size: number }> = [];
    const walk = (dir: Directory, at: string): void => {
      for (const [name, child] of [...dir.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const full = path.join(at, name);
        if (child instanceof Directory) walk(child, full);
        else out.push({ path: full, size: child.size });
      }
    };
    walk(this.root, '/');
    return out;
  }

  /** @internal */
  newInode(mode: number): Inode {
    return new Inode(this.nextIno++, mode);
  }

  /** @internal */
  newDirectory(mode: number): Directory {
    return new Directory(this.nextIno++, mode);
  }

  /** @internal The directory holding `target` and its last name, or an error. */
  locate(target: string, syscall: string): { parent: Directory; name: string } {
    const absolute = path.resolve('/', target);
    if (absolute === '/') return { parent: this.root, name: '' };
    const parts = absolute.split('/').filter((p) => p !== '');
    let dir = this.root;
    for (const part of parts.slice(0, -1)) {
      const next = dir.entries.get(part);
      if (next === undefined) throw fsError('ENOENT', syscall, target);
      if (!(next instanceof Directory)) throw fsError('ENOTDIR', syscall, target);
      dir = next;
    }
    return { parent: dir, name: parts[parts.length - 1]! };
  }

  /** @internal What `target` names, if anything. */
  lookup(target: string, syscall: string): Inode | Directory | undefined {
    const { parent, name } = this.locate(target, syscall);
    return name === '' ? this.root : parent.entries.get(name);
  }
}

const statOf = (node: Inode | Directory): FileStat => ({
  size: node instanceof Inode ? node.size : 0,
  ino: node.ino,
  dev: 1,
  isFile: () => node instanceof Inode,
  isDirectory: () => node instanceof Directory,
});

/** One run of a machine's process on its disk: the {@link FileSystem} it was given. */
class DiskMount implements FileSystem {
  readonly constants = { O_RDWR: C.O_RDWR, O_CREAT: C.O_CREAT, O_EXCL: C.O_EXCL, O_RDONLY: C.O_RDONLY, O_NOFOLLOW: C.O_NOFOLLOW };
  private readonly files = new Map<number, OpenFile>();
  private nextFd = 3;
  private ended = false;

  constructor(private readonly disk: SimDisk) {}

  /** The process died: its descriptors and locks go, and every later call fails. */
  end(): void {
    this.ended = true;
    for (const file of this.files.values()) if (file.node instanceof Inode && file.node.lockedBy === file) file.node.lockedBy = undefined;
    this.files.clear();
  }

  private alive(syscall: string): void {
    if (this.ended) throw fsError('EIO', syscall);
  }

  /** Before a call that changes the disk: where an armed power loss strikes (then the call fails). */
  private mutating(syscall: string): void {
    this.alive(syscall);
    this.disk.beforeMutation();
    this.alive(syscall);
  }

  private file(fd: number, syscall: string): OpenFile {
    this.alive(syscall);
    const file = this.files.get(fd);
    if (file === undefined) throw fsError('EBADF', syscall);
    return file;
  }

  private inode(fd: number, syscall: string): { file: OpenFile; inode: Inode } {
    const file = this.file(fd, syscall);
    if (!(file.node instanceof Inode)) throw fsError('EISDIR', syscall);
    return { file, inode: file.node };
  }

  openSync(target: string, flags: OpenFlags, mode = 0o666): number {
    this.alive('open');
    const f = parseFlags(flags);
    if (f.create || f.truncate) this.mutating('open');
    const { parent, name } = this.disk.locate(target, 'open');
    let node = name === '' ? this.disk.lookup('/', 'open') : parent.entries.get(name);
    if (node !== undefined && f.create && f.exclusive) throw fsError('EEXIST', 'open', target);
    if (node === undefined) {
      if (!f.create) throw fsError('ENOENT', 'open', target);
      node = this.disk.newInode(mode);
      parent.entries.set(name, node);
    }
    if (node instanceof Directory && f.writable) throw fsError('EISDIR', 'open', target);
    if (node instanceof Inode && f.truncate && node.size > 0) node.truncate(0);
    const fd = this.nextFd++;
    this.files.set(fd, { node, readable: f.readable, writable: f.writable, append: f.append, position: 0 });
    return fd;
  }

  closeSync(fd: number): void {
    const file = this.file(fd, 'close');
    if (file.node instanceof Inode && file.node.lockedBy === file) file.node.lockedBy = undefined;
    this.files.delete(fd);
  }

  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number {
    const { file, inode } = this.inode(fd, 'read');
    if (!file.readable) throw fsError('EBADF', 'read');
    const at = position ?? file.position;
    const n = Math.max(0, Math.min(length, inode.size - at));
    buffer.set(inode.data.subarray(at, at + n), offset);
    if (position === null) file.position += n;
    return n;
  }

  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    try {
      return Promise.resolve(this.readSync(fd, buffer, offset, length, position));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number {
    this.mutating('write');
    const { file, inode } = this.inode(fd, 'write');
    if (!file.writable) throw fsError('EBADF', 'write');
    const at = file.append ? inode.size : (position ?? file.position);
    inode.write(buffer.subarray(offset, offset + length), at);
    if (position === null || file.append) file.position = at + length;
    this.disk.stats.writes++;
    return length;
  }

  fsyncSync(fd: number): void {
    this.mutating('fsync');
    const file = this.file(fd, 'fsync');
    if (file.node instanceof Inode) file.node.sync();
    else file.node.durable = new Map(file.node.entries);
    this.disk.stats.syncs++;
  }

  fdatasyncSync(fd: number): void {
    this.fsyncSync(fd);
  }

  ftruncateSync(fd: number, length: number): void {
    this.mutating('ftruncate');
    const { file, inode } = this.inode(fd, 'ftruncate');
    if (!file.writable) throw fsError('EBADF', 'ftruncate');
    inode.truncate(length);
  }

  fstatSync(fd: number): FileStat {
    return statOf(this.file(fd, 'fstat').node);
  }

  fchmodSync(fd: number, mode: number): void {
    this.file(fd, 'fchmod').node.mode = mode;
  }

  statSync(target: string): FileStat {
    this.alive('stat');
    const node = this.disk.lookup(target, 'stat');
    if (node === undefined) throw fsError('ENOENT', 'stat', target);
    return statOf(node);
  }

  lstatSync(target: string): FileStat {
    // No symlinks on this disk: lstat is stat.
    return this.statSync(target);
  }

  existsSync(target: string): boolean {
    if (this.ended) return false;
    try {
      return this.disk.lookup(target, 'access') !== undefined;
    } catch {
      return false;
    }
  }

  renameSync(from: string, to: string): void {
    this.mutating('rename');
    const source = this.disk.locate(from, 'rename');
    const node = source.parent.entries.get(source.name);
    if (node === undefined || source.name === '') throw fsError('ENOENT', 'rename', from);
    const target = this.disk.locate(to, 'rename');
    const existing = target.parent.entries.get(target.name);
    if (existing instanceof Directory && existing.entries.size > 0) throw fsError('ENOTEMPTY', 'rename', to);
    if (existing instanceof Directory && node instanceof Inode) throw fsError('EISDIR', 'rename', to);
    source.parent.entries.delete(source.name);
    target.parent.entries.set(target.name, node);
  }

  rmSync(target: string, options: { readonly force?: boolean; readonly recursive?: boolean } = {}): void {
    this.mutating('rm');
    let located: { parent: Directory; name: string };
    try {
      located = this.disk.locate(target, 'rm');
    } catch (error) {
      if (options.force === true) return;
      throw error;
    }
    const node = located.parent.entries.get(located.name);
    if (node === undefined) {
      if (options.force === true) return;
      throw fsError('ENOENT', 'rm', target);
    }
    if (node instanceof Directory && options.recursive !== true) throw fsError('EISDIR', 'rm', target);
    located.parent.entries.delete(located.name);
  }

  mkdirSync(target: string, options: { readonly recursive: true; readonly mode?: number }): string | undefined {
    this.mutating('mkdir');
    const absolute = path.resolve('/', target);
    const parts = absolute.split('/').filter((p) => p !== '');
    let dir = this.disk.lookup('/', 'mkdir') as Directory;
    let first: string | undefined;
    let at = '/';
    for (const part of parts) {
      at = path.join(at, part);
      const next = dir.entries.get(part);
      if (next instanceof Inode) throw fsError('ENOTDIR', 'mkdir', target);
      if (next === undefined) {
        const made = this.disk.newDirectory(options.mode ?? 0o777);
        dir.entries.set(part, made);
        first ??= at;
        dir = made;
      } else {
        dir = next;
      }
    }
    return first;
  }

  chmodSync(target: string, mode: number): void {
    this.alive('chmod');
    const node = this.disk.lookup(target, 'chmod');
    if (node === undefined) throw fsError('ENOENT', 'chmod', target);
    node.mode = mode;
  }

  readdirSync(target: string): string[] {
    this.alive('scandir');
    const node = this.disk.lookup(target, 'scandir');
    if (node === undefined) throw fsError('ENOENT', 'scandir', target);
    if (!(node instanceof Directory)) throw fsError('ENOTDIR', 'scandir', target);
    return [...node.entries.keys()].sort();
  }

  realpathSync(target: string): string {
    this.alive('realpath');
    if (this.disk.lookup(target, 'realpath') === undefined) throw fsError('ENOENT', 'realpath', target);
    return path.resolve('/', target);
  }

  readFileSync(target: string, _encoding: 'utf8'): string {
    const fd = this.openSync(target, 'r');
    try {
      const { inode } = this.inode(fd, 'read');
      return Buffer.from(inode.bytes()).toString('utf8');
    } finally {
      this.closeSync(fd);
    }
  }

  writeFileSync(target: string, data: string, options: { readonly mode?: number; readonly flag?: string }): void {
    const fd = this.openSync(target, options.flag ?? 'w', options.mode);
    try {
      const bytes = Buffer.from(data, 'utf8');
      this.writeSync(fd, bytes, 0, bytes.length, 0);
    } finally {
      this.closeSync(fd);
    }
  }

  tryLockFile(fd: number): boolean {
    const { file, inode } = this.inode(fd, 'lock');
    if (inode.lockedBy !== undefined && inode.lockedBy !== file) return false;
    inode.lockedBy = file;
    return true;
  }

  unlockFile(fd: number): void {
    const { file, inode } = this.inode(fd, 'unlock');
    if (inode.lockedBy === file) inode.lockedBy = undefined;
  }
}
