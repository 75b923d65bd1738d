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

const stampBytes = (stamp: Stamp): number => STAMP_BYTES + stamp.origin.length;

/**
 * Estimated snapshot bytes of one JSON value: its serialized length, except that a string is
 * counted as its length plus two quotes without looking for characters JSON escapes (a scan
 * or a serialization per string field measurably slowed integrating large downloads). Escapes
 * make the estimate low by a few bytes each; compaction's calibration corrects a systematic
 * error (see `compaction.ts`).
 */
export function jsonBytes(value: Json): number {
  return typeof value === 'string' ? value.length + 2 : JSON.stringify(value).length;
}

function fieldBytes(name: string, field: FieldState): number {
  // Not memoized: string values (the large ones) are measured in O(1), and a WeakMap entry per
  // field cost more (lookups, and ephemeron work in every GC) than measuring again.
  return FIELD_BYTES + name.length + jsonBytes(field.value) + stampBytes(field.stamp);
}

/** Estimated snapshot bytes of one document entry (0 for no document). */
export function estimateDocumentBytes(type: string, id: string, doc: DocumentState | undefined): number {
  if (doc === undefined) return 0;
  let size = DOCUMENT_BYTES + type.length + id.length + (doc.tombstone === undefined ? 4 : stampBytes(doc.tombstone));
  for (const [name, field] of Object.entries(doc.fields)) size += fieldBytes(name, field);
  return size;
}
