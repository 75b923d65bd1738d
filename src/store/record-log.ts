/**
 * The append-only record log: a file of checksummed records (layout in `record-framing.ts`).
 * Bytes in, bytes out: the local realm file stores its changesets in it, the server its
 * per-partition history. All calls are synchronous except `flush()`; one process, one writer.
 */
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { nodeFileSystem, type FileStat, type FileSystem } from './file-system.js';
import { fsyncDirectory, makeDirectoryDurably, noteNewEntry, PRIVATE_FILE_MODE, readFully, removeQuietly, syncDirectoryIfPending, writeFileDurably, writeFully } from './durable-fs.js';
import { silentLogger, type Logger } from './logger.js';
import { RECORD_LOG_MAGIC, checkMagic, encodeRecords, payloadProblem, readRecordAt } from './record-framing.js';
import { ClosedError, InvalidInputError, NotARecordLogError, RecordLogError } from './store-errors.js';

/**
 * When an append is on stable storage. `full`: before `append` returns (fdatasync per commit),
 * so a commit that returned survives kill -9 and power loss. `batched`: at the end of the
 * current event-loop tick, one fdatasync for all appends of the tick; `flush()` says when.
 * A crash (of the process, not the machine) loses nothing in either mode: the bytes are in the
 * kernel's page cache as soon as `append` returns.
 */
export type Durability = 'full' | 'batched';

/** Options of {@link openRecordLog}. */
export interface RecordLogOptions {
  readonly durability?: Durability;
  /** Receives the recovery report (a cut tail) and background failures. Default: silent. */
  readonly logger?: Logger;
  /**
   * If the file does not exist, do not create it yet: records appended lazily are kept in
   * memory, and the file is created (holding them) by the first `append`, a `rewrite`, or
   * `close`. Opening many logs that may never be written to then costs no file creation (one
   * costs about half a millisecond of metadata I/O on a small VM's ext4). Default false.
   */
  readonly createLazily?: boolean;
  /**
   * What a whole record (its length and checksum hold) that `decode` refuses does to the log.
   * `cut` (default): the log ends there, like at a torn tail. `skip`: the record stays in the
   * file but not in `records`, is reported (`refused`, `logger.warn`), and the records after it
   * are read on: for a log whose records stand on their own, where one refused record must not
   * take every later commit with it. A torn or corrupt tail is cut either way.
   */
  readonly refusedRecords?: 'cut' | 'skip';
  /** The file port (`file-system.ts`); the real file system by default. */
  readonly fileSystem?: FileSystem;
}

/**
 * Turns a payload into a record value on open, or says why it is not one. Called once per
 * whole record, in file order, with its index among the file's whole records; a `Left` ends the
 * log there, exactly like a bad checksum (or, with `refusedRecords: 'skip'`, leaves that record
 * out), so a caller can refuse records that are whole but not meaningful (undecodable, out of
 * sequence).
 */
export type RecordDecoder<T> = (payload: Buffer, index: number) => E.Either<string, T>;

/** An open record log. */
export interface RecordLog {
  readonly path: string;
  readonly durability: Durability;
  /** Current size of the file in bytes, magic included. */
  readonly sizeBytes: number;
  readonly isClosed: boolean;
  /** False while a log opened with `createLazily` has no file yet. */
  readonly fileCreated: boolean;
  /** Whether the log holds an open file descriptor now (see `releaseFile`). */
  readonly holdsFile: boolean;
  /**
   * How many bytes of the file the last completed sync covered: every append that ended at or
   * before this offset is on stable storage (an fdatasync covers all that was written before it).
   */
  readonly syncedBytes: number;
  /** Appends the records of one commit with one write call (then fdatasync in `full` mode). */
  append(payloads: readonly Uint8Array[]): void;
  /**
   * Appends like {@link append}, then fdatasyncs before it returns whatever the durability: for
   * a record that must be on stable storage before anything it changes is acted on, where a
   * batched sync would come too late (a compensating write empties changesets that were
   * uploadable already).
   */
  appendDurably(payloads: readonly Uint8Array[]): void;
  /**
   * Appends records that need not be durable on their own: they reach stable storage with the
   * next append that is synced (`full`: the next `append`; `batched`: the next batch), since
   * one fdatasync covers everything written to the file before it. For records whose loss at
   * power failure is harmless as long as no later record depends on them — and a later record
   * that does is synced after them. Not covered by `flush()` or `close()` on their own.
   */
  appendLazily(payloads: readonly Uint8Array[]): void;
  /** Resolves once everything appended so far is on stable storage; at once if it already is. */
  flush(): Promise<void>;
  /** Atomically replaces the whole content with `payloads` (compaction): old or new file survives a crash, whole. */
  rewrite(payloads: readonly Uint8Array[]): void;
  /**
   * Syncs what is pending and closes the file. Idempotent. A lazily created log whose file does
   * not exist yet is created now, unless `createMissing` is false: then it closes with nothing
   * on disk, and what was appended to it lazily is dropped.
   */
  close(options?: { readonly createMissing?: boolean }): void;
  /**
   * Syncs what is pending and closes the file descriptor, leaving the log open: the next write
   * reopens the file and appends at its end, so a process can keep more logs open than it may
   * hold descriptors. Refused at that reopen if the file was replaced or changed meanwhile. A
   * no-op for a log that holds no descriptor.
   */
  releaseFile(): void;
}

/** A whole record that `decode` refused and `refusedRecords: 'skip'` left out. */
export interface RefusedRecord {
  /** Its index among the file's whole records. */
  readonly index: number;
  /** Where its header starts in the file. */
  readonly offset: number;
  /** Its payload's length. */
  readonly bytes: number;
  /** Why `decode` refused it. */
  readonly reason: string;
}

/** What {@link openRecordLog} found. */
export interface OpenedRecordLog<T> {
  readonly log: RecordLog;
  /** Every whole record `decode` accepted, in order (Buffers share one allocation: copy one to keep it alone). */
  readonly records: T[];
  /** Bytes cut from a torn or corrupt tail (0 for a clean file). */
  readonly recovered: { readonly truncatedBytes: number };
  /** Whole records left out (`refusedRecords: 'skip'`), in file order; empty otherwise. */
  readonly refused: readonly RefusedRecord[];
}

/** Refused records warned of one by one on open; the rest are counted in one warning. */
const MAX_REFUSAL_WARNINGS = 10;

/** Paths of the logs open in this process: two writers on one file would interleave records. */
const openPathsByFileSystem = new WeakMap<FileSystem, Set<string>>();

/** The paths open on `fs` in this process (one set per file system: two simulated disks may hold one path). */
function openPathsOf(fs: FileSystem): Set<string> {
  let set = openPathsByFileSystem.get(fs);
  if (set === undefined) {
    set = new Set();
    openPathsByFileSystem.set(fs, set);
  }
  return set;
}

/** The scratch file next to `file` used by atomic replacement (same directory, so rename is atomic). */
export const tempPathOf = (file: string): string => `${file}.tmp`;

/**
 * Opens the record log at `file`, creating it (and its directory) if missing. A torn or corrupt
 * tail is cut at the last whole record and reported through `logger.warn`; a file that does not
 * start with the magic is refused with {@link NotARecordLogError} and left untouched.
 */
export function openRecordLog(file: string, options?: RecordLogOptions): OpenedRecordLog<Buffer>;
/** Opens the log and decodes each record with `decode`, cutting the log at the first record it refuses (or skipping it, per `refusedRecords`). */
export function openRecordLog<T>(file: string, options: RecordLogOptions & { readonly decode: RecordDecoder<T> }): OpenedRecordLog<T>;
export function openRecordLog<T>(
  file: string,
  options: RecordLogOptions & { readonly decode?: RecordDecoder<T> } = {},
): OpenedRecordLog<T | Buffer> {
  if (typeof file !== 'string' || file.length === 0) throw new InvalidInputError('a record log needs a file path');
  const durability = options.durability ?? 'full';
  if (durability !== 'full' && durability !== 'batched') {
    throw new InvalidInputError(`durability must be 'full' or 'batched', not ${String(durability)}`);
  }
  const logger = options.logger ?? silentLogger;
  const decode: RecordDecoder<T | Buffer> = options.decode ?? ((payload) => E.right(payload));
  const refusedRecords = options.refusedRecords ?? 'cut';
  const fs = options.fileSystem ?? nodeFileSystem;
  if (refusedRecords !== 'cut' && refusedRecords !== 'skip') throw new InvalidInputError(`refusedRecords must be 'cut' or 'skip', not ${String(refusedRecords)}`);
  const absolute = path.resolve(file);
  const openPaths = openPathsOf(fs);
  if (openPaths.has(absolute)) throw new RecordLogError(`record log ${absolute} is already open in this process`);

  const dir = path.dirname(absolute);
  // Every way out registers the log alike: the path taken in this process, and a file whose
  // directory entry was never synced noted, so that the log's first sync syncs it.
  const opened = (fd: number | undefined, size: number, entryPending: boolean, found: FoundRecords<T | Buffer> = { records: [], truncatedBytes: 0, refused: [] }): OpenedRecordLog<T | Buffer> => {
    if (entryPending && fd !== undefined) noteNewEntry(fs, dir);
    openPaths.add(absolute);
    return { log: new FileRecordLog(absolute, fd, size, durability, logger, entryPending, fs), records: found.records, recovered: { truncatedBytes: found.truncatedBytes }, refused: found.refused };
  };
  if (options.createLazily === true && !fs.existsSync(absolute)) {
    // Nothing on disk yet, and nothing made now: the directory is made with the file (`create`,
    // `rewrite`), so such an open costs one stat instead of four metadata calls (10,000 sessions
    // opened in bench/). A scratch file a crashed rewrite left beside it is overwritten by the
    // next rewrite, or removed by the first open that finds the log. Its entry is noted when
    // the file is made.
    return opened(undefined, RECORD_LOG_MAGIC.length, true);
  }
  makeDirectoryDurably(fs, dir);
  const temp = tempPathOf(absolute);
  if (fs.existsSync(temp)) {
    // Left by a creation or compaction that crashed before its rename: the real file is whole.
    fs.rmSync(temp, { force: true });
    logger.info('removed the scratch file of an interrupted rewrite', { path: temp });
  }
  const created = createQuietly(fs, absolute, RECORD_LOG_MAGIC);
  if (created !== undefined) {
    // A new file is neither synced nor its directory: nothing in it is promised durable yet.
    // The first synced append makes both durable (the directory once for all files created in
    // it meanwhile). Lost to power failure before that, the file comes back missing, empty, a
    // prefix of the magic or (on some file systems) zero-filled, and each of those opens as a
    // new log — nothing that was ever reported durable is lost.
    return opened(created, RECORD_LOG_MAGIC.length, true);
  }

  const fd = fs.openSync(absolute, 'r+');
  try {
    const bytes = readFully(fs, fd);
    let magic = checkMagic(bytes.subarray(0, RECORD_LOG_MAGIC.length));
    // All zeros: a creation whose bytes never reached the disk, on a file system that shows
    // such blocks as zeros after a crash. It holds nothing, so it is a new log, not a foreign file.
    if (magic === 'foreign' && bytes.every((b) => b === 0)) magic = 'torn';
    if (magic === 'foreign') {
      throw new NotARecordLogError(`${absolute} is not a record log (it does not start with ${RECORD_LOG_MAGIC.toString('latin1')}); refusing to touch it`);
    }
    if (magic === 'torn') {
      writeFully(fs, fd, RECORD_LOG_MAGIC, 0);
      fs.ftruncateSync(fd, RECORD_LOG_MAGIC.length);
      fs.fsyncSync(fd);
      if (bytes.length > 0) logger.warn('record log header was torn; rewrote it', { path: absolute, bytes: bytes.length });
      return opened(fd, RECORD_LOG_MAGIC.length, true);
    }

    const records: Array<T | Buffer> = [];
    const refused: RefusedRecord[] = [];
    let offset = RECORD_LOG_MAGIC.length;
    let problem: string | undefined;
    for (let index = 0; offset < bytes.length; index++) {
      const frame = readRecordAt(bytes, offset);
      if (E.isLeft(frame)) {
        problem = frame.left;
        break;
      }
      const value = decode(frame.right.payload, index);
      if (E.isLeft(value)) {
        if (refusedRecords === 'cut') {
          problem = `record ${index} is whole but invalid: ${value.left}`;
          break;
        }
        // Whole and checksummed: what was written is all there, only its content is refused.
        // Cutting here would take every later record with it; this one alone is left out.
        const entry = { index, offset, bytes: frame.right.payload.length, reason: value.left };
        refused.push(entry);
        // One warning each for the first few; a file of thousands refused (say, a newer format) gets a count, not a flood.
        if (refused.length <= MAX_REFUSAL_WARNINGS) logger.warn('record log: a whole record was refused; left it out and read on', { path: absolute, ...entry });
      } else records.push(value.right);
      offset = frame.right.next;
    }
    if (refused.length > MAX_REFUSAL_WARNINGS) {
      logger.warn('record log: more whole records were refused and left out', { path: absolute, refused: refused.length, notWarnedOf: refused.length - MAX_REFUSAL_WARNINGS });
    }
    const truncatedBytes = bytes.length - offset;
    if (offset > RECORD_LOG_MAGIC.length) {
      // The file may have been created by a process that died before its first sync (see
      // above): its name is made durable with the records open returns.
      noteNewEntry(fs, dir);
    }
    if (truncatedBytes > 0) {
      fs.ftruncateSync(fd, offset);
      fs.fsyncSync(fd);
      syncDirectoryIfPending(fs, dir);
      logger.warn('record log tail was torn or corrupt; cut it at the last whole record', {
        path: absolute,
        reason: problem,
        keptRecords: records.length,
        keptBytes: offset,
        truncatedBytes,
      });
    } else if (offset > RECORD_LOG_MAGIC.length) {
      // A batched writer killed before its fsync leaves records only in the page cache: what
      // open returns must not vanish at the next power loss, so it is made durable now.
      fs.fdatasyncSync(fd);
      syncDirectoryIfPending(fs, dir);
    }
    // An empty log (magic only) found on disk may be one created lazily: its entry is synced
    // with its first synced append, like a new one.
    return opened(fd, offset, offset === RECORD_LOG_MAGIC.length, { records, truncatedBytes, refused });
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/** What reading an existing log found: the parts of {@link OpenedRecordLog} besides the log. */
interface FoundRecords<T> {
  readonly records: T[];
  readonly truncatedBytes: number;
  readonly refused: readonly RefusedRecord[];
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

class FileRecordLog implements RecordLog {
  private closed = false;
  /** Set by a failed write or fsync: what reached the disk is unknown, so no more writes. */
  private failure: RecordLogError | undefined;
  private unsynced = false;
  private scheduled: NodeJS.Immediate | undefined;
  private waiters: Waiter[] = [];
  /** Framed records appended lazily before the file exists (`fd` undefined): its first content after the magic. */
  private unwritten: Buffer[] = [];
  /** See {@link RecordLog.syncedBytes}. */
  private synced = 0;
  /** Set while the descriptor is given up (`releaseFile`): the file exists and is `size` bytes long. */
  private released: { readonly ino: number; readonly dev: number } | undefined;

  /**
   * @param fd the open file, or `undefined` for one not created yet (`createLazily`)
   * @param entryPending the file was created (or found empty) without syncing its directory:
   *   the first sync syncs the directory too (see `syncDirectoryIfPending`).
   */
  constructor(
    readonly path: string,
    private fd: number | undefined,
    private size: number,
    readonly durability: Durability,
    private readonly logger: Logger,
    private entryPending = false,
    private readonly fs: FileSystem = nodeFileSystem,
  ) {}

  get sizeBytes(): number {
    return this.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get fileCreated(): boolean {
    return this.fd !== undefined || this.released !== undefined;
  }

  get holdsFile(): boolean {
    return this.fd !== undefined;
  }

  get syncedBytes(): number {
    return this.synced;
  }

  append(payloads: readonly Uint8Array[]): void {
    this.appendSynced(payloads, this.durability === 'full');
  }

  appendDurably(payloads: readonly Uint8Array[]): void {
    this.appendSynced(payloads, true);
  }

  private appendSynced(payloads: readonly Uint8Array[], now: boolean): void {
    const before = this.size;
    if (!this.write(payloads)) return;
    if (now) {
      try {
        this.sync();
      } catch (error) {
        this.size = before;
        this.undoAppend(before, error);
        throw this.fail(`could not fsync ${this.path}: ${messageOf(error)}`, error);
      }
    } else {
      this.unsynced = true;
      this.scheduled ??= setImmediate(() => {
        this.scheduled = undefined;
        this.syncPending();
      });
    }
  }

  appendLazily(payloads: readonly Uint8Array[]): void {
    this.write(payloads, true);
  }

  /** Writes the records at the end of the file (no sync); false if there were none. */
  private write(payloads: readonly Uint8Array[], lazily = false): boolean {
    this.assertWritable('append to');
    if (payloads.length === 0) return false;
    checkPayloads(payloads);
    const bytes = encodeRecords(payloads);
    const before = this.size;
    if (this.fd === undefined && this.released === undefined && lazily) {
      this.unwritten.push(bytes);
      this.size = before + bytes.length;
      return true;
    }
    const fd = this.fd ?? (this.released !== undefined ? this.reopen() : this.create());
    try {
      writeFully(this.fs, fd, bytes, before);
    } catch (error) {
      this.undoAppend(before, error);
      throw new RecordLogError(`could not append to ${this.path}: ${messageOf(error)}`, { cause: error });
    }
    this.size = before + bytes.length;
    return true;
  }

  /**
   * Creates the file of a log opened with `createLazily`, holding the magic and what was
   * appended lazily so far; not synced, like any new log (see `openRecordLog`).
   */
  private create(): number {
    let fd: number | undefined;
    try {
      makeDirectoryDurably(this.fs, path.dirname(this.path));
      fd = createQuietly(this.fs, this.path, Buffer.concat([RECORD_LOG_MAGIC, ...this.unwritten]));
    } catch (error) {
      throw this.fail(`could not create ${this.path}: ${messageOf(error)}`, error);
    }
    if (fd === undefined) throw this.fail(`${this.path} was created by someone else while this log was open; refusing to write into it`, undefined);
    noteNewEntry(this.fs, path.dirname(this.path));
    this.unwritten = [];
    this.fd = fd;
    return fd;
  }

  /** fdatasync, and the directory entry if it was never synced: after it, everything written is durable. */
  private sync(): void {
    if (this.fd === undefined) return; // only lazy records, in memory: nothing is promised about them
    const size = this.size;
    this.fs.fdatasyncSync(this.fd);
    if (this.entryPending) {
      syncDirectoryIfPending(this.fs, path.dirname(this.path));
      this.entryPending = false;
    }
    this.synced = size;
  }

  flush(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed || !this.unsynced) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  rewrite(payloads: readonly Uint8Array[]): void {
    this.assertWritable('rewrite');
    checkPayloads(payloads);
    const bytes = encodeRecords(payloads, true);
    const temp = tempPathOf(this.path);
    try {
      // A log opened lazily may have no directory yet.
      if (this.fd === undefined && this.released === undefined) makeDirectoryDurably(this.fs, path.dirname(this.path));
      writeFileDurably(this.fs, temp, bytes);
      this.fs.renameSync(temp, this.path);
    } catch (error) {
      // Before the rename the old file is untouched: the log goes on as it was.
      removeQuietly(this.fs, temp);
      throw new RecordLogError(`could not rewrite ${this.path}: ${messageOf(error)}`, { cause: error });
    }
    // From here the new file is in place: the old descriptor points at an unlinked inode.
    let reopened: number;
    try {
      reopened = this.fs.openSync(this.path, 'r+');
    } catch (error) {
      // The old descriptor stays (valid, if useless) so that close() has something to close.
      throw this.fail(`could not reopen ${this.path} after rewriting it: ${messageOf(error)}`, error);
    }
    if (this.fd !== undefined) this.fs.closeSync(this.fd);
    this.fd = reopened;
    this.released = undefined;
    this.unwritten = [];
    this.size = bytes.length;
    try {
      fsyncDirectory(this.fs, path.dirname(this.path));
    } catch (error) {
      throw this.fail(`could not fsync the directory of ${this.path} after rewriting it: ${messageOf(error)}`, error);
    }
    // Everything ever appended is superseded by content that is now durable, name included.
    this.unsynced = false;
    this.entryPending = false;
    this.synced = this.size;
    this.settleWaiters();
  }

  close(options: { readonly createMissing?: boolean } = {}): void {
    if (this.closed) return;
    this.closed = true;
    openPathsOf(this.fs).delete(this.path);
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    let error: unknown;
    try {
      // A lazily created log is created now, with what was appended to it (not synced: the
      // same promise as for records appended lazily to a log whose file exists).
      if (this.fd === undefined && this.released === undefined && this.failure === undefined && options.createMissing !== false) this.create();
      if (this.unsynced && this.failure === undefined) this.sync();
      this.unsynced = false;
    } catch (e) {
      error = e;
      this.failure = new RecordLogError(`could not sync or create ${this.path} while closing it: ${messageOf(e)}`, { cause: e });
    }
    if (this.fd !== undefined) this.fs.closeSync(this.fd);
    this.settleWaiters();
    if (error !== undefined) throw this.failure;
  }

  releaseFile(): void {
    if (this.closed || this.fd === undefined) return;
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    let error: unknown;
    let identity: { ino: number; dev: number } | undefined;
    try {
      // What a batch would have synced is synced now: nothing waits on a closed descriptor.
      if (this.unsynced && this.failure === undefined) this.sync();
      this.unsynced = false;
      const stat = this.fs.fstatSync(this.fd);
      identity = { ino: stat.ino, dev: stat.dev };
    } catch (e) {
      error = e;
      this.fail(`could not sync ${this.path} before releasing its descriptor: ${messageOf(e)}`, e);
    }
    this.fs.closeSync(this.fd);
    this.fd = undefined;
    // A log that failed is never written again, so it needs no identity to reopen by.
    this.released = identity ?? { ino: -1, dev: -1 };
    this.settleWaiters();
    if (error !== undefined) throw this.failure;
  }

  /**
   * Opens the file again after `releaseFile`, refusing one that is not the file released (a
   * different inode, or another size): appending at `size` would land in someone else's bytes.
   */
  private reopen(): number {
    const expected = this.released!;
    let fd: number;
    try {
      fd = this.fs.openSync(this.path, 'r+');
    } catch (error) {
      throw this.fail(`could not reopen ${this.path}: ${messageOf(error)}`, error);
    }
    let stat: FileStat;
    try {
      stat = this.fs.fstatSync(fd);
    } catch (error) {
      this.fs.closeSync(fd);
      throw this.fail(`could not stat ${this.path} after reopening it: ${messageOf(error)}`, error);
    }
    if (stat.ino !== expected.ino || stat.dev !== expected.dev || stat.size !== this.size) {
      this.fs.closeSync(fd);
      throw this.fail(`${this.path} was replaced or changed (${stat.size} bytes, expected ${this.size}) while its descriptor was released; refusing to write into it`, undefined);
    }
    this.fd = fd;
    this.released = undefined;
    return fd;
  }

  private syncPending(): void {
    if (this.closed || this.failure !== undefined || !this.unsynced) return this.settleWaiters();
    try {
      // Synchronous on purpose: an async fsync still in flight when `close()` runs would race
      // the descriptor being closed (and reused). One blocking fsync per tick is the batch.
      this.sync();
      this.unsynced = false;
    } catch (error) {
      this.fail(`could not fsync ${this.path}: ${messageOf(error)}`, error);
      this.logger.warn('batched fsync failed; the record log refuses further writes', { path: this.path, error: messageOf(error) });
    }
    this.settleWaiters();
  }

  private settleWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (this.failure !== undefined) w.reject(this.failure);
      else w.resolve();
    }
  }

  private undoAppend(before: number, cause: unknown): void {
    if (this.fd === undefined) return;
    try {
      this.fs.ftruncateSync(this.fd, before);
    } catch {
      this.fail(`could not undo a failed append to ${this.path}: ${messageOf(cause)}`, cause);
    }
  }

  private fail(message: string, cause: unknown): RecordLogError {
    this.failure ??= new RecordLogError(message, { cause });
    return this.failure;
  }

  private assertWritable(verb: string): void {
    if (this.closed) throw new ClosedError(`cannot ${verb} record log ${this.path}: it is closed`);
    if (this.failure !== undefined) {
      throw new RecordLogError(`cannot ${verb} record log ${this.path} after an earlier I/O failure (${this.failure.message}); reopen it`, {
        cause: this.failure,
      });
    }
  }
}

/**
 * Creates `file` holding `content`, unless it exists; returns its open descriptor, or
 * `undefined` if the file was already there. Not synced (see the callers).
 */
function createQuietly(fs: FileSystem, file: string, content: Uint8Array): number | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx+', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  try {
    // open's mode is masked by the umask; a log holds a user's data, so it is private whatever it is.
    fs.fchmodSync(fd, PRIVATE_FILE_MODE);
    writeFully(fs, fd, content, 0);
  } catch (error) {
    fs.closeSync(fd);
    removeQuietly(fs, file);
    throw error;
  }
  return fd;
}

function checkPayloads(payloads: readonly Uint8Array[]): void {
  payloads.forEach((p, i) => {
    if (!(p instanceof Uint8Array)) throw new InvalidInputError(`record payload ${i} is not a Uint8Array`);
    const problem = payloadProblem(p);
    if (problem !== undefined) throw new InvalidInputError(`record payload ${i}: ${problem}`);
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
