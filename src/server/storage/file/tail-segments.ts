/**
 * The tail's segment files of one partition: opening them (bookkeeping only, the changesets
 * stay on disk), reading changesets back by offset, and letting go of folded ones.
 */
import type { FileSystem } from '../../../store/file-system.js';
import { join } from 'node:path';
import { left, right } from 'fp-ts/lib/Either.js';
import { ServerChangesetCodec, type ServerChangeset } from '../../../protocol/changeset.codec.js';
import type { Logger } from '../../../store/logger.js';
import { checkMagic, RECORD_HEADER_BYTES, RECORD_LOG_MAGIC } from '../../../store/record-framing.js';
import { NotARecordLogError } from '../../../store/store-errors.js';
import { RecordCursor, RecordFramingError, type CursorRecord } from './record-cursor.js';
import { tailSegmentFirst } from './partition-files.js';
import type { TailEntry } from './tail-index.js';
import { decodeTailRecord } from './tail-records.js';


/** One segment file. */
export class Segment {
  /** The newest server version written to it (`first − 1` while empty). */
  last: number;
  private fd: number | undefined;
  private pins = 0;
  /** Asked to close while a read held it (folded away, or the file budget wants the slot back): closed when the read ends. */
  private closeWanted = false;

  constructor(
    private readonly fs: FileSystem,
    readonly first: number,
    readonly path: string,
  ) {
    this.last = first - 1;
  }

  /** Whether it holds a read descriptor now. */
  get holdsFile(): boolean {
    return this.fd !== undefined;
  }

  /**
   * Holds the segment open for reads until `unpin`: opened at once, so a fold that removes the
   * file meanwhile does not take it from a read that chose its changesets before.
   */
  pin(): void {
    this.fd ??= this.fs.openSync(this.path, 'r');
    this.pins++;
  }

  unpin(): void {
    this.pins--;
    if (this.closeWanted) this.closeReader();
  }

  /** Reads `length` bytes at `offset` of a pinned segment. */
  async read(offset: number, length: number): Promise<Buffer> {
    if (this.fd === undefined || this.pins === 0) throw new Error(`${this.path} is read unpinned`);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const bytesRead = await this.fs.read(this.fd, out, done, length - done, offset + done);
      if (bytesRead === 0) throw new Error(`${this.path} ends before offset ${offset + length}`);
      done += bytesRead;
    }
    return out;
  }

  /** Closes the read descriptor unless a read uses it. */
  closeReader(): void {
    if (this.fd === undefined) return;
    if (this.pins > 0) {
      this.closeWanted = true;
      return;
    }
    this.closeWanted = false;
    this.fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Removes the file (folded, or a new epoch began); a read under way finishes on its descriptor. */
  drop(): void {
    this.fs.rmSync(this.path, { force: true });
    this.closeReader();
  }
}

/** What opening a partition's segments found. */
export interface OpenedSegments {
  readonly segments: Segment[];
  /** The entries after `stateVersion`, in order and without a gap. */
  readonly entries: TailEntry[];
  /** Whether a segment was removed (folded, empty or after a gap): the directory needs a sync. */
  readonly removed: boolean;
}

/**
 * Opens every tail segment of `dir`, cutting a torn or corrupt record like any record log, and
 * keeps the bookkeeping of changesets after `stateVersion`. Segments holding nothing after it
 * are removed (a fold crashed before removing them). A record after a gap in the server
 * versions is cut like a corrupt one: only damage leaves one (a segment is synced before the
 * next one is begun), and serving past it would skip versions. Each segment is streamed a
 * bounded buffer at a time (`RecordCursor`): a tail of hundreds of MB is never in memory.
 */
export async function openSegments(fs: FileSystem, dir: string, stateVersion: number, options: { durability: 'full' | 'batched'; logger: Logger }): Promise<OpenedSegments> {
  const firsts = fs
    .readdirSync(dir)
    .map(tailSegmentFirst)
    .filter((first): first is number => first !== undefined)
    .sort((a, b) => a - b);
  const segments: Segment[] = [];
  const entries: TailEntry[] = [];
  let removed = false;
  const scan = { expected: stateVersion + 1, previous: 0 };
  for (const first of firsts) {
    const segment = new Segment(fs, first, join(dir, `tail-${first}.log`));
    await scanSegment(fs, segment, stateVersion, scan, entries, options.logger);
    if (segment.last <= stateVersion) {
      segment.drop();
      removed = true;
    } else segments.push(segment);
  }
  return { segments, entries, removed };
}

/**
 * Reads one segment's records into `entries` (those after `stateVersion`), cutting the file at
 * the first record that is not whole, fails its checksum, is not a tail record or breaks the
 * order of server versions (`scan`, carried from segment to segment). What it keeps is synced
 * before it is served: a batched writer killed before its fsync leaves records in the page
 * cache only, and a changeset served must not vanish at the next power loss.
 */
async function scanSegment(fs: FileSystem, segment: Segment, stateVersion: number, scan: { expected: number; previous: number }, entries: TailEntry[], logger: Logger): Promise<void> {
  const fd = fs.openSync(segment.path, 'r+');
  try {
    const size = fs.fstatSync(fd).size;
    const magic = Buffer.alloc(Math.min(size, RECORD_LOG_MAGIC.length));
    fs.readSync(fd, magic, 0, magic.length, 0);
    let check = checkMagic(magic);
    // All zeros: a creation whose bytes never reached the disk, on a file system that shows such
    // blocks as zeros after a crash; it holds nothing. Zeros over the magic alone are damage to a
    // segment that may hold acknowledged changesets: refused, never removed.
    if (check === 'foreign' && magic.every((b) => b === 0) && allZeros(fs, fd, size)) check = 'torn';
    if (check === 'foreign') throw new NotARecordLogError(`${segment.path} is not a record log; refusing to touch it`);
    // A creation that never finished holds nothing: `last` stays below `first`, and the caller removes it.
    if (check !== 'ok') return;
    const cursor = new RecordCursor(fs, fd, RECORD_LOG_MAGIC.length, size);
    let problem: string | undefined;
    // Where the cut goes: past the last record kept (the cursor is past a record it refused by content).
    let keptEnd = RECORD_LOG_MAGIC.length;
    for (;;) {
      let record: CursorRecord | undefined;
      try {
        record = await cursor.next();
      } catch (error) {
        if (!(error instanceof RecordFramingError)) throw error;
        problem = error.reason;
        break;
      }
      if (record === undefined) break;
      const decoded = decodeTailRecord(record.payload);
      if (typeof decoded === 'string') {
        problem = decoded;
        break;
      }
      const v = decoded.changeset.serverVersion;
      if (v <= scan.previous) {
        problem = `server version ${v} does not follow ${scan.previous}`;
        break;
      }
      if (v > stateVersion && v !== scan.expected) {
        problem = `server version ${v} where ${scan.expected} was due`;
        break;
      }
      scan.previous = v;
      keptEnd = record.next;
      if (v > stateVersion) {
        scan.expected++;
        entries.push({
          v,
          origin: decoded.changeset.origin,
          clientVersion: decoded.changeset.clientVersion,
          owner: decoded.owner,
          segment: segment.first,
          jsonAt: record.offset + RECORD_HEADER_BYTES + decoded.jsonStart,
          jsonLength: record.payload.length - decoded.jsonStart,
          bytes: decoded.bytes,
          at: decoded.at,
        });
      }
      segment.last = v;
    }
    const kept = keptEnd;
    if (problem !== undefined) {
      fs.ftruncateSync(fd, kept);
      logger.warn('tail segment was torn or corrupt; cut it at the last whole record', { path: segment.path, reason: problem, keptBytes: kept, truncatedBytes: size - kept });
    }
    if (kept > RECORD_LOG_MAGIC.length || problem !== undefined) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether every byte of the open file `fd` (of `size` bytes) is zero; read a bounded buffer at a time. */
function allZeros(fs: FileSystem, fd: number, size: number): boolean {
  const buffer = Buffer.alloc(Math.min(size, 64 * 1024));
  for (let at = 0; at < size; ) {
    const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, size - at), at);
    if (n === 0) return true;
    for (let i = 0; i < n; i++) if (buffer[i] !== 0) return false;
    at += n;
  }
  return true;
}

/** Reads the changesets of `entries` (consecutive ones of a segment in one read). */
export async function readChangesetJson(segments: ReadonlyMap<number, Segment>, entries: readonly TailEntry[]): Promise<string[]> {
  // Every segment is chosen and pinned before the first read waits (see `Segment.pin`).
  const groups: Array<{ segment: Segment; from: number; to: number }> = [];
  for (let i = 0; i < entries.length; ) {
    let j = i + 1;
    while (j < entries.length && entries[j]!.segment === entries[i]!.segment && entries[j]!.v === entries[j - 1]!.v + 1) j++;
    const segment = segments.get(entries[i]!.segment);
    if (segment === undefined) throw new Error(`tail segment ${entries[i]!.segment} is gone`);
    groups.push({ segment, from: i, to: j });
    i = j;
  }
  const pinned: Segment[] = [];
  try {
    for (const { segment } of groups) {
      segment.pin();
      pinned.push(segment);
    }
    const out: string[] = [];
    for (const { segment, from, to } of groups) {
      const first = entries[from]!;
      const last = entries[to - 1]!;
      const bytes = await segment.read(first.jsonAt, last.jsonAt + last.jsonLength - first.jsonAt);
      for (let k = from; k < to; k++) {
        const e = entries[k]!;
        out.push(bytes.toString('utf8', e.jsonAt - first.jsonAt, e.jsonAt - first.jsonAt + e.jsonLength));
      }
    }
    return out;
  } finally {
    for (const segment of pinned) segment.unpin();
  }
}

/** Reads and decodes the changesets of `entries` (for a fold). */
export async function readChangesets(segments: ReadonlyMap<number, Segment>, entries: readonly TailEntry[]): Promise<ServerChangeset[]> {
  const json = await readChangesetJson(segments, entries);
  return json.map((text, i) => {
    const decoded = ServerChangesetCodec.decode(JSON.parse(text));
    if (decoded._tag === 'Left' || decoded.right.serverVersion !== entries[i]!.v) throw new Error(`tail changeset ${entries[i]!.v} does not read back`);
    return decoded.right;
  });
}
