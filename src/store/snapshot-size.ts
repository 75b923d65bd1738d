/**
 * Cheap estimates of how many bytes the state would take in a snapshot record, kept current
 * as writes land so that the compaction check never serializes the world. The constants are the
 * JSON overhead of the snapshot encoding in `store-records.ts` (brackets, quotes, commas, stamp
 * numbers); an estimate off by a constant factor is corrected by calibration after each
 * compaction (see `compaction.ts`).
 */
import type { Json } from '../protocol/json.codec.js';
import type { DocumentState, FieldState } from './document-state.js';
import type { Stamp } from './stamp.js';

/** Bytes of one stamp tuple besides its origin: two 13-digit-ish numbers, an index, punctuation. */
const STAMP_BYTES = 32;
/** Bytes of one document entry besides its type, id, fields and tombstone. */
const DOCUMENT_BYTES = 40;
/** Bytes of one field entry besides its name, value and stamp. */
const FIELD_BYTES = 8;

const fieldSizes = new WeakMap<FieldState, number>();

const stampBytes = (stamp: Stamp): number => STAMP_BYTES + stamp.origin.length;

/** Characters `JSON.stringify` escapes in a string (surrogates: only lone ones, but any sends a string the slow way). */
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * Estimated snapshot bytes of one JSON value (its serialized length; exact for ASCII). A string
 * with nothing to escape is its length plus two quotes, measured without serializing it: large
 * string fields (a DOWNLOAD brings thousands) would otherwise each be copied just to be counted.
 */
export function jsonBytes(value: Json): number {
  if (typeof value === 'string' && !ESCAPED.test(value)) return value.length + 2;
  return JSON.stringify(value).length;
}

function fieldBytes(name: string, field: FieldState): number {
  let size = fieldSizes.get(field);
  if (size === undefined) {
    size = FIELD_BYTES + name.length + jsonBytes(field.value) + stampBytes(field.stamp);
    // Field states are immutable and shared between versions of a document: measured once.
    fieldSizes.set(field, size);
  }
  return size;
}

/** Estimated snapshot bytes of one document entry (0 for no document). */
export function estimateDocumentBytes(type: string, id: string, doc: DocumentState | undefined): number {
  if (doc === undefined) return 0;
  let size = DOCUMENT_BYTES + type.length + id.length + (doc.tombstone === undefined ? 4 : stampBytes(doc.tombstone));
  for (const [name, field] of Object.entries(doc.fields)) size += fieldBytes(name, field);
  return size;
}
