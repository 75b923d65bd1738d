/**
 * The byte layout of a record log, with no I/O: an 8-byte magic header, then records
 * `[u32 LE payload length][u32 LE CRC-32 of payload][payload]`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { crc32 } from './crc32.js';

/** The first 8 bytes of every record log: format name and version. */
export const RECORD_LOG_MAGIC: Buffer = Buffer.from('SSLOG001', 'latin1');

/** Bytes before each payload: its length and its CRC-32. */
export const RECORD_HEADER_BYTES = 8;

/** The largest payload a u32 length can describe. */
export const MAX_PAYLOAD_BYTES = 0xffff_ffff;

/** What the first bytes of a file say about it. */
export type MagicCheck = 'ok' | 'torn' | 'foreign';

/**
 * Whether `head` starts a record log. A file shorter than the magic whose bytes are a prefix of
 * it (including an empty file) is `torn`: a creation that never finished, nothing to lose.
 */
export function checkMagic(head: Uint8Array): MagicCheck {
  const n = Math.min(head.length, RECORD_LOG_MAGIC.length);
  for (let i = 0; i < n; i++) if (head[i] !== RECORD_LOG_MAGIC[i]) return 'foreign';
  return head.length >= RECORD_LOG_MAGIC.length ? 'ok' : 'torn';
}

/**
 * Why a payload cannot be framed, or `undefined` if it can. Empty payloads are refused because
 * the CRC-32 of nothing is 0: an all-zero tail (what some file systems leave after a crash
 * extended a file) would otherwise read as a run of valid empty records.
 */
export function payloadProblem(payload: Uint8Array): string | undefined {
  if (payload.length === 0) return 'a record payload must not be empty';
  if (payload.length > MAX_PAYLOAD_BYTES) return `a record payload must be at most ${MAX_PAYLOAD_BYTES} bytes`;
  return undefined;
}

/** The framed bytes of `payloads`, optionally preceded by the magic (for a whole new file). */
export function encodeRecords(payloads: readonly Uint8Array[], withMagic = false): Buffer {
  let total = withMagic ? RECORD_LOG_MAGIC.length : 0;
  for (const p of payloads) total += RECORD_HEADER_BYTES + p.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  if (withMagic) at += RECORD_LOG_MAGIC.copy(out, 0);
  for (const p of payloads) {
    out.writeUInt32LE(p.length, at);
    out.writeUInt32LE(crc32(p), at + 4);
    out.set(p, at + RECORD_HEADER_BYTES);
    at += RECORD_HEADER_BYTES + p.length;
  }
  return out;
}

/** One whole record found in a buffer: its payload and the offset just past it. */
export interface RecordFrame {
  readonly payload: Buffer;
  readonly next: number;
}

/**
 * The record starting at `offset`, or why there is no whole record there (the reason a tail is
 * cut). `payload` shares memory with `bytes`.
 */
export function readRecordAt(bytes: Buffer, offset: number): E.Either<string, RecordFrame> {
  const left = bytes.length - offset;
  if (left < RECORD_HEADER_BYTES) return E.left(`short record header (${left} of ${RECORD_HEADER_BYTES} bytes)`);
  const length = bytes.readUInt32LE(offset);
  const expected = bytes.readUInt32LE(offset + 4);
  if (length === 0) return E.left('empty record (zero-filled tail?)');
  if (length > left - RECORD_HEADER_BYTES) {
    return E.left(`record length ${length} runs past the end of the file (${left - RECORD_HEADER_BYTES} bytes left)`);
  }
  const payload = bytes.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length);
  const actual = crc32(payload);
  if (actual !== expected) return E.left(`CRC mismatch (stored ${hex(expected)}, computed ${hex(actual)})`);
  return E.right({ payload, next: offset + RECORD_HEADER_BYTES + length });
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
