/**
 * One state file as the handle knows it (a generation: each fold writes a new one): its header
 * and totals, and a sparse index of document offsets. Documents stay on disk.
 */
import type { FileSystem } from '../../../store/file-system.js';
import { RECORD_LOG_MAGIC, checkMagic } from '../../../store/record-framing.js';
import { RecordCursor } from './record-cursor.js';
import { decodeStateRecord, type StateEnd, type StateHeader } from './state-records.js';

/** Bytes of state file between two entries of the sparse index. */
export const SPARSE_INDEX_STEP_BYTES = 64 * 1024;

/** One entry of the sparse index: the document record at `offset` has version `v`, and `bytesBefore` of documents precede it. */
export interface SparseEntry {
  readonly v: number;
  readonly offset: number;
  readonly bytesBefore: number;
}

/** A state file's bookkeeping. */
export interface StateGeneration {
  /** The file (undefined for the empty state of a partition never written). */
  readonly path: string | undefined;
  readonly header: StateHeader;
  readonly end: StateEnd;
  /** Offset of the first document record, and of the end record. */
  readonly documentsAt: number;
  readonly endAt: number;
  readonly index: readonly SparseEntry[];
}

/** The empty state of a new epoch (nothing on disk). */
export function emptyGeneration(header: StateHeader): StateGeneration {
  return { path: undefined, header, end: { k: 'end', documents: 0, bytes: 0, expiredThrough: 0, oldestTombstoneAt: null }, documentsAt: 0, endAt: 0, index: [] };
}

/** Builds the sparse index while documents are written or scanned in order. */
export class SparseIndexBuilder {
  readonly entries: SparseEntry[] = [];
  private lastOffset = Number.NEGATIVE_INFINITY;
  bytes = 0;

  add(v: number, offset: number, jsonBytes: number): void {
    if (offset - this.lastOffset >= SPARSE_INDEX_STEP_BYTES) {
      this.entries.push({ v, offset, bytesBefore: this.bytes });
      this.lastOffset = offset;
    }
    this.bytes += jsonBytes;
  }
}

/**
 * Reads the state file at `path` through once, keeping only its header, totals and sparse
 * index. Refuses a file that is not whole (no end record, a bad record, versions out of order):
 * state files are replaced atomically, so that is damage, not a crash.
 */
export async function scanStateFile(fs: FileSystem, path: string): Promise<StateGeneration> {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const magic = Buffer.alloc(RECORD_LOG_MAGIC.length);
    fs.readSync(fd, magic, 0, magic.length, 0);
    if (size < RECORD_LOG_MAGIC.length || checkMagic(magic) !== 'ok') throw new Error(`${path} is not a state file`);
    const cursor = new RecordCursor(fs, fd, RECORD_LOG_MAGIC.length, size);
    const first = await cursor.next();
    const header = first === undefined ? 'empty' : decodeStateRecord(first.payload);
    if (typeof header === 'string' || header.kind !== 'header') throw new Error(`${path} does not start with a state header`);
    const documentsAt = cursor.offset;
    const index = new SparseIndexBuilder();
    let documents = 0;
    let lastV = 0;
    for (;;) {
      const at = cursor.offset;
      const record = await cursor.next();
      if (record === undefined) throw new Error(`${path} has no end record`);
      const decoded = decodeStateRecord(record.payload);
      if (typeof decoded === 'string') throw new Error(`${path}: record at ${at}: ${decoded}`);
      if (decoded.kind === 'header') throw new Error(`${path}: a second header at ${at}`);
      if (decoded.kind === 'end') {
        if (decoded.end.documents !== documents || decoded.end.bytes !== index.bytes) throw new Error(`${path}: the end record does not match the documents`);
        if (record.next !== size) throw new Error(`${path}: bytes after the end record`);
        return { path, header: header.header, end: decoded.end, documentsAt, endAt: at, index: index.entries };
      }
      if (decoded.v < lastV || decoded.v > header.header.stateVersion) throw new Error(`${path}: document version ${decoded.v} out of order`);
      lastV = decoded.v;
      documents++;
      index.add(decoded.v, at, decoded.json.length);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The sparse entry to start a read of documents changed after `after` from (undefined: from the first document). */
export function seekEntry(index: readonly SparseEntry[], after: number): SparseEntry | undefined {
  let lo = 0;
  let hi = index.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index[mid]!.v <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : index[lo - 1];
}
