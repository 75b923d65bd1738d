/**
 * Reads a record log's records one by one from an open descriptor, a bounded buffer at a time
 * (never the whole file): what streams a state file for a reader or a fold.
 */
import type { FileSystem } from '../../../store/file-system.js';
import * as E from 'fp-ts/lib/Either.js';
import { RECORD_HEADER_BYTES, readRecordAt } from '../../../store/record-framing.js';


/** How much a cursor reads at once (a record longer than this is read whole, alone). */
export const CURSOR_CHUNK_BYTES = 64 * 1024;

/** One record: where its header starts and its payload (valid until the next call). */
export interface CursorRecord {
  readonly offset: number;
  readonly payload: Buffer;
  /** Offset just past the record. */
  readonly next: number;
}

/** A record that is not whole or fails its checksum (a torn write, damage): the log is cut there. */
export class RecordFramingError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`record at offset ${offset}: ${reason}`);
    this.name = 'RecordFramingError';
  }
}

/** A forward cursor over the records of `fd` from `start` to `end` (a file offset). */
export class RecordCursor {
  private buffer: Buffer = Buffer.alloc(0);
  /** File offset of `buffer[0]`. */
  private bufferAt: number;

  constructor(
    private readonly fs: FileSystem,
    private readonly fd: number,
    private position: number,
    private readonly end: number,
  ) {
    this.bufferAt = position;
  }

  /** Where the next record starts. */
  get offset(): number {
    return this.position;
  }

  /** The next record, `undefined` at `end`; throws a {@link RecordFramingError} on a torn or corrupt record. */
  async next(): Promise<CursorRecord | undefined> {
    if (this.position >= this.end) return undefined;
    const left = this.end - this.position;
    if (left < RECORD_HEADER_BYTES) throw new RecordFramingError(this.position, `short record header (${left} of ${RECORD_HEADER_BYTES} bytes)`);
    await this.fill(RECORD_HEADER_BYTES);
    const at = this.position - this.bufferAt;
    const length = this.buffer.readUInt32LE(at);
    // A torn or damaged length must not make the cursor allocate what the file does not hold.
    if (length > left - RECORD_HEADER_BYTES) throw new RecordFramingError(this.position, `record length ${length} runs past the end (${left - RECORD_HEADER_BYTES} bytes left)`);
    await this.fill(RECORD_HEADER_BYTES + length);
    const frame = readRecordAt(this.buffer, this.position - this.bufferAt);
    if (E.isLeft(frame)) throw new RecordFramingError(this.position, frame.left);
    const offset = this.position;
    this.position = this.bufferAt + frame.right.next;
    return { offset, payload: frame.right.payload, next: this.position };
  }

  /** Makes `buffer` hold at least `bytes` from `position` (fewer only at `end`, which the framing check reports). */
  private async fill(bytes: number): Promise<void> {
    const have = this.bufferAt + this.buffer.length - this.position;
    if (have >= bytes) return;
    const want = Math.min(Math.max(bytes, CURSOR_CHUNK_BYTES), this.end - this.position);
    const next = Buffer.allocUnsafe(Math.max(want, have));
    this.buffer.copy(next, 0, this.position - this.bufferAt);
    let filled = Math.max(have, 0);
    while (filled < want) {
      const bytesRead = await this.fs.read(this.fd, next, filled, want - filled, this.position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    this.buffer = next.subarray(0, filled);
    this.bufferAt = this.position;
  }
}
