/**
 * The convergent state of one document (a last-writer-wins map with a tombstone), as pure
 * functions. Each field keeps the value of the write with the greatest stamp; a delete keeps the
 * greatest delete stamp. Both are "max" over a total order, so applying the same writes in any
 * order, any number of times, gives the same state: no coordination, no history needed.
 */
import type { Operation } from '../protocol/changeset.codec.js';
import type { Json } from '../protocol/json.codec.js';
import { ownValue } from './json-value.js';
import { compareStamps, type Stamp } from './stamp.js';

/** One field: its value and the stamp of the write that set it. */
export interface FieldState {
  readonly value: Json;
  readonly stamp: Stamp;
}

/**
 * One document. Invariant kept by the functions below: every field's stamp is greater than the
 * tombstone. Writes a delete overrides are dropped at once rather than kept hidden: they can
 * never become visible again (the tombstone only grows), and dropping them keeps the state a
 * function of the set of writes alone, whatever the order they arrived in.
 */
export interface DocumentState {
  readonly fields: Readonly<Record<string, FieldState>>;
  readonly tombstone?: Stamp;
}

/** The state of a document nobody has written. */
export const EMPTY_DOCUMENT: DocumentState = Object.freeze({ fields: Object.freeze({}) });

/**
 * Whether a write stamped `stamp` with `value` beats the field's current state. Stamps of real
 * writes are unique; the value comparison only makes a duplicate stamp (a buggy or hostile
 * replica) resolve the same way everywhere instead of by arrival order.
 */
function beats(stamp: Stamp, value: Json, current: FieldState): boolean {
  const order = compareStamps(stamp, current.stamp);
  if (order !== 0) return order > 0;
  const a = JSON.stringify(value);
  const b = JSON.stringify(current.value);
  return a > b;
}

/** Whether field state `candidate` beats `current`: the greater stamp, ties broken as {@link applyPut} breaks them. */
export const fieldBeats = (candidate: FieldState, current: FieldState): boolean => beats(candidate.stamp, candidate.value, current);

/** Whether a write stamped `stamp` is hidden by `tombstone` (stamped at or before it). */
export const buriedBy = (tombstone: Stamp | undefined, stamp: Stamp): boolean =>
  tombstone !== undefined && compareStamps(stamp, tombstone) <= 0;

/** Applies a put: each named field takes `fields[name]` if `stamp` beats its current stamp. Returns `doc` itself if nothing changed. */
export function applyPut(doc: DocumentState | undefined, fields: Readonly<Record<string, Json>>, stamp: Stamp): DocumentState {
  const base = doc ?? EMPTY_DOCUMENT;
  if (buriedBy(base.tombstone, stamp)) return base;
  const won: Array<[string, FieldState]> = [];
  for (const [name, value] of Object.entries(fields)) {
    const current = ownValue(base.fields, name);
    if (current === undefined || beats(stamp, value, current)) won.push([name, Object.freeze({ value, stamp })]);
  }
  if (won.length === 0) return base;
  // Object.fromEntries defines properties (a field named `__proto__` stays a field).
  const next = Object.freeze(Object.fromEntries([...Object.entries(base.fields), ...won]));
  return Object.freeze(base.tombstone === undefined ? { fields: next } : { fields: next, tombstone: base.tombstone });
}

/** Applies a delete: the tombstone becomes the greater of itself and `stamp`. Returns `doc` itself if nothing changed. */
export function applyDelete(doc: DocumentState | undefined, stamp: Stamp): DocumentState {
  const base = doc ?? EMPTY_DOCUMENT;
  if (buriedBy(base.tombstone, stamp)) return base;
  const kept = Object.entries(base.fields).filter(([, field]) => compareStamps(field.stamp, stamp) > 0);
  return Object.freeze({ fields: Object.freeze(Object.fromEntries(kept)), tombstone: stamp });
}

/** Applies one operation (its document is the caller's business) stamped `stamp`. */
export function applyOperation(doc: DocumentState | undefined, op: Operation, stamp: Stamp): DocumentState {
  return op.op === 'put' ? applyPut(doc, op.fields, stamp) : applyDelete(doc, stamp);
}

/** Whether the document exists for readers: some field was written after its last delete. */
export function isVisible(doc: DocumentState): boolean {
  for (const field of Object.values(doc.fields)) if (!buriedBy(doc.tombstone, field.stamp)) return true;
  return false;
}

/** The fields readers see (those written after the last delete), or `undefined` if the document is not visible. */
export function visibleFields(doc: DocumentState): Readonly<Record<string, Json>> | undefined {
  const entries = Object.entries(doc.fields)
    .filter(([, field]) => !buriedBy(doc.tombstone, field.stamp))
    .map(([name, field]): [string, Json] => [name, field.value]);
  return entries.length === 0 ? undefined : Object.freeze(Object.fromEntries(entries));
}
