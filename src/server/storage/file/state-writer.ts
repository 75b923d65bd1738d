/**
 * Writes a new state generation: streams the old state file in order, merges the documents the
 * folded changesets touched (moved to the end with their new version), drops tombstones older
 * than retention, and replaces the state file atomically (temp, fsync, rename, directory fsync).
 * Memory is bounded by the folded changesets and a buffer, not by the state.
 */
import type { FileSystem } from '../../../store/file-system.js';
import { join } from 'node:path';
import { DocumentEntryCodec, type DocumentEntry } from '../../../store/store-records.js';
import { documentKeyOf } from '../../../store/document-set.js';
import type { DocumentState } from '../../../store/document-state.js';
import { fsyncDirectory, PRIVATE_FILE_MODE, removeQuietly, writeFully } from '../../../store/durable-fs.js';
import { RECORD_LOG_MAGIC, encodeRecords } from '../../../store/record-framing.js';
import { tempPathOf } from '../../../store/record-log.js';
import { documentToEntry, entryToDocument } from '../../../store/snapshot.js';
import { RecordCursor } from './record-cursor.js';
import { documentKeyInJson } from './document-key.js';
import { mergeDocuments, withoutTombstone, type TouchedDocument } from './document-merge.js';
import { SparseIndexBuilder, type StateGeneration } from './state-generation.js';
import { decodeStateRecord, encodeDocumentRecord, encodeStateMeta, type StateHeader } from './state-records.js';
import { STATE_FILE } from './partition-files.js';

/** Bytes buffered before a write, and documents between yields to the event loop. */
const WRITE_BUFFER_BYTES = 256 * 1024;
const DOCUMENTS_PER_SLICE = 512;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What to write. */
export interface StateRewrite {
  /** The file port the partition's files are on. */
  readonly fileSystem: FileSystem;
  readonly dir: string;
  /** The generation to carry documents over from (`undefined`: start empty, as `wipe` does). */
  readonly from: StateGeneration | undefined;
  readonly header: StateHeader;
  /** The documents the folded changesets touched (`touchedDocuments`). */
  readonly touched: ReadonlyMap<string, TouchedDocument>;
  /** At least this (retention raises it). */
  readonly expiredThrough: number;
  /** Tombstones of documents last changed before this time are dropped (−∞: none). */
  readonly dropBefore: number;
}

/** What a rewrite made. */
export interface Rewritten {
  readonly generation: StateGeneration;
  readonly droppedTombstones: number;
}

/** Buffered appends of framed records to a new file. */
class RecordWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  constructor(
    private readonly fs: FileSystem,
    private readonly fd: number,
  ) {}

  /** Offset the next record will start at. */
  get offset(): number {
    return this.written + this.pendingBytes;
  }

  add(framedOrPayload: Buffer): void {
    const framed = encodeRecords([framedOrPayload]);
    this.pending.push(framed);
    this.pendingBytes += framed.length;
    if (this.pendingBytes >= WRITE_BUFFER_BYTES) this.flush();
  }

  addRaw(bytes: Buffer): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  flush(): void {
    if (this.pendingBytes === 0) return;
    const bytes = Buffer.concat(this.pending, this.pendingBytes);
    writeFully(this.fs, this.fd, bytes, this.written);
    this.written += bytes.length;
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** How the wire JSON of a document without a tombstone ends (`documentToEntry`'s key order). */
const NO_TOMBSTONE = Buffer.from(',"tombstone":null}', 'latin1');

const endsWith = (bytes: Buffer, suffix: Buffer): boolean =>
  bytes.length >= suffix.length && bytes.compare(suffix, 0, suffix.length, bytes.length - suffix.length) === 0;

/** The document entry of a state record's wire JSON, parsed and checked whole. */
function readEntry(json: Buffer, path: string, offset: number): DocumentEntry {
  const entry = DocumentEntryCodec.decode(JSON.parse(json.toString('utf8')));
  if (entry._tag === 'Left') throw new Error(`${path}: record at ${offset} is not a document entry`);
  return entry.right;
}

/** Writes the new state file and puts it in place; the old generation's file is replaced. */
export async function rewriteState(rewrite: StateRewrite): Promise<Rewritten> {
  const fs = rewrite.fileSystem;
  const path = join(rewrite.dir, STATE_FILE);
  const temp = tempPathOf(path);
  const fd = fs.openSync(temp, 'w', PRIVATE_FILE_MODE);
  let closed = false;
  try {
    fs.fchmodSync(fd, PRIVATE_FILE_MODE);
    const out = new RecordWriter(fs, fd);
    out.addRaw(RECORD_LOG_MAGIC);
    out.add(encodeStateMeta(rewrite.header));
    const documentsAt = out.offset;
    const index = new SparseIndexBuilder();
    let documents = 0;
    let expiredThrough = rewrite.expiredThrough;
    let droppedTombstones = 0;
    let oldestTombstoneAt: number | null = null;
    const pending = new Map(rewrite.touched);

    /** Writes one document (after retention); `payload` is its record if unchanged. */
    const put = (v: number, at: number, doc: DocumentState, type: string, id: string, payload?: Buffer): void => {
      let state: DocumentState | undefined = doc;
      if (state.tombstone !== undefined && at < rewrite.dropBefore) {
        state = withoutTombstone(state);
        droppedTombstones++;
        expiredThrough = Math.max(expiredThrough, v);
        payload = undefined;
      }
      if (state === undefined) return;
      if (state.tombstone === undefined && Object.keys(state.fields).length === 0) return;
      if (state.tombstone !== undefined && (oldestTombstoneAt === null || at < oldestTombstoneAt)) oldestTombstoneAt = at;
      const record = payload ?? encodeDocumentRecord(v, at, JSON.stringify(documentToEntry(type, id, state)));
      const jsonBytes = record.length - record.indexOf(0x0a) - 1;
      index.add(v, out.offset, jsonBytes);
      out.add(record);
      documents++;
    };

    /** Carries a document over unchanged, unread: `payload` is its record. */
    const carry = (v: number, at: number, hasTombstone: boolean, payload: Buffer): void => {
      if (hasTombstone && (oldestTombstoneAt === null || at < oldestTombstoneAt)) oldestTombstoneAt = at;
      index.add(v, out.offset, payload.length - payload.indexOf(0x0a) - 1);
      out.add(payload);
      documents++;
    };

    const from = rewrite.from;
    if (from?.path !== undefined && from.end.documents > 0) {
      const oldFd = fs.openSync(from.path, 'r');
      try {
        const cursor = new RecordCursor(fs, oldFd, from.documentsAt, from.endAt);
        for (let n = 1; ; n++) {
          const record = await cursor.next();
          if (record === undefined) break;
          const decoded = decodeStateRecord(record.payload);
          if (typeof decoded === 'string' || decoded.kind !== 'document') throw new Error(`${from.path}: record at ${record.offset} is not a document`);
          // Most documents are carried over as they are: their key is all that is read of them.
          const fast = documentKeyInJson(decoded.json);
          const entry = fast === undefined ? readEntry(decoded.json, from.path, record.offset) : undefined;
          const { type, id } = fast ?? entry!;
          const key = documentKeyOf(type, id);
          const change = pending.get(key);
          if (change === undefined) {
            const hasTombstone = !endsWith(decoded.json, NO_TOMBSTONE);
            if (entry === undefined && !(hasTombstone && decoded.at < rewrite.dropBefore)) carry(decoded.v, decoded.at, hasTombstone, Buffer.from(record.payload));
            // Retention may drop its tombstone (or its JSON is not as this server writes it): looked at whole.
            else put(decoded.v, decoded.at, entryToDocument(entry ?? readEntry(decoded.json, from.path, record.offset)), type, id, Buffer.from(record.payload));
          } else {
            const old = entryToDocument(entry ?? readEntry(decoded.json, from.path, record.offset));
            const merged = mergeDocuments(old, change.state);
            const before = JSON.stringify(documentToEntry(type, id, old));
            if (JSON.stringify(documentToEntry(type, id, merged)) === before) {
              // Writes that lost change nothing: the document keeps its place and version.
              pending.delete(key);
              put(decoded.v, decoded.at, old, type, id, Buffer.from(record.payload));
            } else change.state = merged;
          }
          if (n % DOCUMENTS_PER_SLICE === 0) await yieldToLoop();
        }
      } finally {
        fs.closeSync(oldFd);
      }
    }
    const moved = [...pending.values()].sort((a, b) => a.v - b.v);
    moved.forEach((doc) => put(doc.v, doc.at, doc.state, doc.type, doc.id));
    const endAt = out.offset;
    const end = { k: 'end' as const, documents, bytes: index.bytes, expiredThrough, oldestTombstoneAt };
    out.add(encodeStateMeta(end));
    out.flush();
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    closed = true;
    fs.renameSync(temp, path);
    fsyncDirectory(fs, rewrite.dir);
    return { generation: { path, header: rewrite.header, end, documentsAt, endAt, index: index.entries }, droppedTombstones };
  } catch (error) {
    if (!closed) fs.closeSync(fd);
    removeQuietly(fs, temp);
    throw error;
  }
}
