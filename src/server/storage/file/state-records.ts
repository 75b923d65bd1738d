/**
 * The records of a state file, with no I/O. A state file is a record log (`record-framing.ts`)
 * written whole and atomically by each fold: a header, one record per document in the order of
 * the server version that last changed it (`v`), and an end record. A document record is
 * `{"v":…,"at":…}\n<wire JSON>`: the wire JSON (`JSON.stringify(documentToEntry(…))`) is
 * served as it lies, never re-encoded, and its UTF-8 length is the unit of bootstrap progress.
 */
import * as t from 'io-ts';
import { NatCodec, NonEmptyStringCodec } from '../../../protocol/changeset.codec.js';

const OriginRowCodec = t.tuple([NonEmptyStringCodec, NatCodec, t.union([t.string, t.null])]);

/** The header: which epoch and version the state is, and the origins table as of it. */
export const StateHeaderCodec = t.type({
  k: t.literal('state'),
  epoch: t.string,
  partition: t.string,
  stateVersion: NatCodec,
  /** [origin, client version, owner or null]. */
  origins: t.array(OriginRowCodec),
});
/** A decoded {@link StateHeaderCodec}. */
export type StateHeader = t.TypeOf<typeof StateHeaderCodec>;

/** The end record: what the documents add up to (a state file without it is not whole). */
export const StateEndCodec = t.type({
  k: t.literal('end'),
  documents: NatCodec,
  bytes: NatCodec,
  expiredThrough: NatCodec,
  /** The `at` of the oldest document holding a tombstone, or null if none does. */
  oldestTombstoneAt: t.union([NatCodec, t.null]),
});
/** A decoded {@link StateEndCodec}. */
export type StateEnd = t.TypeOf<typeof StateEndCodec>;

const DocumentMetaCodec = t.type({ v: NatCodec, at: NatCodec });

/** One document record, split: its meta and its wire JSON (bytes of the payload, UTF-8). */
export interface DocumentRecord {
  readonly v: number;
  readonly at: number;
  /** The document's wire JSON as bytes (a view into the payload). */
  readonly json: Buffer;
}

const NEWLINE = 0x0a;

/** The payload of a document record. */
export function encodeDocumentRecord(v: number, at: number, json: string): Buffer {
  return Buffer.from(`{"v":${v},"at":${at}}\n${json}`, 'utf8');
}

/** The payload of a header or end record. */
export const encodeStateMeta = (record: StateHeader | StateEnd): Buffer => Buffer.from(JSON.stringify(record), 'utf8');

/** A state file's record, decoded, or why it is not one. */
export type StateRecord = { readonly kind: 'header'; readonly header: StateHeader } | { readonly kind: 'end'; readonly end: StateEnd } | ({ readonly kind: 'document' } & DocumentRecord);

/** Decodes one payload of a state file (a header, a document or the end). */
export function decodeStateRecord(payload: Buffer): StateRecord | string {
  const split = payload.indexOf(NEWLINE);
  let meta: unknown;
  try {
    meta = JSON.parse(payload.subarray(0, split < 0 ? payload.length : split).toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (split >= 0) {
    const decoded = DocumentMetaCodec.decode(meta);
    if (decoded._tag === 'Left') return 'not a document record';
    return { kind: 'document', v: decoded.right.v, at: decoded.right.at, json: payload.subarray(split + 1) };
  }
  const header = StateHeaderCodec.decode(meta);
  if (header._tag === 'Right') return { kind: 'header', header: header.right };
  const end = StateEndCodec.decode(meta);
  if (end._tag === 'Right') return { kind: 'end', end: end.right };
  return 'neither a header nor an end record';
}
