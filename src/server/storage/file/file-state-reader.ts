/**
 * A read of one state generation's documents changed after a cursor, from its own descriptor:
 * a fold renaming a new state over the file does not change what it reads.
 */
import type { FileSystem } from '../../../store/file-system.js';
import { EmptyStateReader } from '../empty-state-reader.js';
import type { StateBatch, StateReader } from '../server-storage.js';
import { RecordCursor, type CursorRecord } from './record-cursor.js';
import { seekEntry, type StateGeneration } from './state-generation.js';
import { decodeStateRecord } from './state-records.js';

/**
 * Opens a reader of `generation`'s documents with `v > after`. The descriptor is opened before
 * the first await, so it is the generation the caller's bookkeeping describes.
 */
export async function openStateReader(fs: FileSystem, generation: StateGeneration, after: number): Promise<StateReader> {
  const stateVersion = generation.header.stateVersion;
  if (generation.path === undefined || after >= stateVersion || generation.end.documents === 0) return new EmptyStateReader(stateVersion, generation.header.epoch);
  const fd = fs.openSync(generation.path, 'r');
  try {
    const entry = seekEntry(generation.index, after);
    const cursor = new RecordCursor(fs, fd, entry?.offset ?? generation.documentsAt, generation.endAt);
    let before = entry?.bytesBefore ?? 0;
    // Documents at or below `after` in the block the index points into are skipped here.
    let first: DocumentAt | undefined;
    for (;;) {
      const record = await cursor.next();
      if (record === undefined) break;
      const doc = documentOf(record);
      if (doc.v > after) {
        first = doc;
        break;
      }
      before += doc.json.length;
    }
    if (first === undefined) {
      fs.closeSync(fd);
      return new EmptyStateReader(stateVersion, generation.header.epoch);
    }
    return new FileStateReader(fs, stateVersion, generation.header.epoch, generation.end.bytes - before, fd, cursor, first);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

interface DocumentAt {
  readonly v: number;
  readonly json: Buffer;
}

function documentOf(record: CursorRecord): DocumentAt {
  const decoded = decodeStateRecord(record.payload);
  if (typeof decoded === 'string' || decoded.kind !== 'document') throw new Error(`state record at ${record.offset} is not a document`);
  // Copied: the cursor reuses its buffer.
  return { v: decoded.v, json: Buffer.from(decoded.json) };
}

class FileStateReader implements StateReader {
  private remaining: number;
  private closed = false;
  private busy = false;
  private closeWanted = false;

  constructor(
    private readonly fs: FileSystem,
    readonly stateVersion: number,
    readonly epoch: string,
    readonly totalBytes: number,
    private readonly fd: number,
    private readonly cursor: RecordCursor,
    private pending: DocumentAt | undefined,
  ) {
    this.remaining = totalBytes;
  }

  async next(maxBytes: number): Promise<StateBatch> {
    if (this.closed) return { documentJson: [], remainingBytes: 0, done: true };
    if (this.busy) throw new Error('a state reader reads one batch at a time');
    this.busy = true;
    try {
      const out: string[] = [];
      let size = 0;
      while (this.pending !== undefined) {
        const doc = this.pending;
        if (out.length > 0 && size + doc.json.length > maxBytes) break;
        out.push(doc.json.toString('utf8'));
        size += doc.json.length;
        const record = await this.cursor.next();
        this.pending = record === undefined ? undefined : documentOf(record);
      }
      this.remaining -= size;
      const done = this.pending === undefined;
      if (done) this.release();
      return { documentJson: out, remainingBytes: this.remaining, done };
    } finally {
      this.busy = false;
      if (this.closeWanted) this.release();
    }
  }

  close(): Promise<void> {
    // A batch under way reads on to its end on the descriptor, which it closes then.
    if (this.busy) this.closeWanted = true;
    else this.release();
    return Promise.resolve();
  }

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.fs.closeSync(this.fd);
  }
}
