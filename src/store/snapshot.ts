/**
 * Conversions between live document states and their snapshot entries (see
 * `SnapshotRecordCodec`): what compaction writes and what opening a compacted file reads back.
 */
import type { Json } from '../protocol/json.codec.js';
import { fieldBeats, type DocumentState, type FieldState } from './document-state.js';
import { deepFreeze } from './json-value.js';
import { compareStamps, type Stamp } from './stamp.js';
import type { DocumentEntry, StampTuple } from './store-records.js';

/** A stamp as its snapshot tuple. */
export const stampToTuple = (s: Stamp): StampTuple => [s.wall, s.counter, s.origin, s.opIndex];

/** A snapshot tuple as a stamp. */
export const tupleToStamp = ([wall, counter, origin, opIndex]: StampTuple): Stamp => Object.freeze({ wall, counter, origin, opIndex });

/** The snapshot entry of one document. */
export function documentToEntry(type: string, id: string, doc: DocumentState): DocumentEntry {
  return {
    type,
    id,
    fields: Object.entries(doc.fields).map(([name, field]) => [name, field.value, stampToTuple(field.stamp)] as const),
    tombstone: doc.tombstone === undefined ? null : stampToTuple(doc.tombstone),
  };
}

/**
 * The document state of one snapshot entry. Fields a tombstone covers are dropped, and a
 * duplicated field name keeps the write that wins (`fieldBeats`), so even a hand-edited snapshot yields a state
 * that keeps the invariants of `document-state.ts`.
 */
export function entryToDocument(entry: DocumentEntry): DocumentState {
  const tombstone = entry.tombstone === null ? undefined : tupleToStamp(entry.tombstone);
  const fields = new Map<string, FieldState>();
  for (const [name, value, tuple] of entry.fields) {
    const stamp = tupleToStamp(tuple);
    if (tombstone !== undefined && compareStamps(stamp, tombstone) <= 0) continue;
    const field: FieldState = { value: value as Json, stamp };
    const current = fields.get(name);
    if (current === undefined || fieldBeats(field, current)) fields.set(name, Object.freeze({ value: deepFreeze(value as Json), stamp }));
  }
  const frozen = Object.freeze(Object.fromEntries(fields));
  return Object.freeze(tombstone === undefined ? { fields: frozen } : { fields: frozen, tombstone });
}
