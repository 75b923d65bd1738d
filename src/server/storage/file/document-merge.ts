/**
 * Merging document states, with no I/O: what a fold does to a document the folded tail touched,
 * and what retention does to an old tombstone. Both keep `document-state.ts`'s invariant.
 */
import type { ServerChangeset } from '../../../protocol/changeset.codec.js';
import { applyDelete, applyOperation, applyPut, type DocumentState } from '../../../store/document-state.js';
import { documentKeyOf } from '../../../store/document-set.js';
import { stampOf } from '../../../store/stamp.js';

/**
 * `base` with every write `delta` holds: its tombstone, then each field with its own stamp. LWW
 * states are a function of the set of writes, so this equals applying the writes `delta` came
 * from to `base` one by one.
 */
export function mergeDocuments(base: DocumentState, delta: DocumentState): DocumentState {
  let merged = delta.tombstone === undefined ? base : applyDelete(base, delta.tombstone);
  for (const [name, field] of Object.entries(delta.fields)) merged = applyPut(merged, { [name]: field.value }, field.stamp);
  return merged;
}

/** `doc` without its tombstone (retention), or `undefined` if nothing is left of it. */
export function withoutTombstone(doc: DocumentState): DocumentState | undefined {
  if (Object.keys(doc.fields).length === 0) return undefined;
  return Object.freeze({ fields: doc.fields });
}

/** A document the folded tail changed: its state from the tail's writes alone, and the version and time of its last change. */
export interface TouchedDocument {
  readonly type: string;
  readonly id: string;
  state: DocumentState;
  v: number;
  at: number;
}

/** The documents `changesets` (in server-version order, each with its arrival time) change, by `documentKeyOf`. */
export function touchedDocuments(changesets: ReadonlyArray<{ readonly changeset: ServerChangeset; readonly at: number }>): Map<string, TouchedDocument> {
  const touched = new Map<string, TouchedDocument>();
  for (const { changeset, at } of changesets) {
    changeset.ops.forEach((op, index) => {
      const key = documentKeyOf(op.type, op.id);
      const current = touched.get(key);
      const next = applyOperation(current?.state, op, stampOf(changeset, index));
      if (current === undefined) touched.set(key, { type: op.type, id: op.id, state: next, v: changeset.serverVersion, at });
      else if (next !== current.state) {
        current.state = next;
        current.v = changeset.serverVersion;
        current.at = at;
      }
    });
  }
  return touched;
}
