/**
 * The join of two document states (`document-state.ts`): what a replica holds after learning
 * another's state of the same document, as a server's `state` message delivers it. Per field the
 * greater write wins (ties broken as `applyPut` breaks them), the tombstone is the greater of
 * both, and fields at or below it are dropped: exactly the state applying both documents' writes
 * gives. Being a join, it is idempotent, commutative and associative, so a state message merged
 * twice, or before or after the writes it overlaps, changes nothing more.
 */
import { buriedBy, EMPTY_DOCUMENT, fieldBeats, type DocumentState, type FieldState } from './document-state.js';
import { ownValue } from './json-value.js';
import { compareStamps, type Stamp } from './stamp.js';

/** The greater of two tombstones (`a` on a tie, so an unchanged one keeps its identity). */
function laterTombstone(a: Stamp | undefined, b: Stamp | undefined): Stamp | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareStamps(b, a) > 0 ? b : a;
}

/**
 * The join of `a` (this replica's state of a document, if any) and `b` (another's). Returns `a`
 * itself when `b` adds nothing to it (and `EMPTY_DOCUMENT` when both are empty), so callers
 * can tell a change by identity, as with `applyPut`.
 */
export function mergeDocumentStates(a: DocumentState | undefined, b: DocumentState): DocumentState {
  const base = a ?? EMPTY_DOCUMENT;
  const tombstone = laterTombstone(base.tombstone, b.tombstone);
  const tombstoneMoved = tombstone !== base.tombstone;
  const won: Array<[string, FieldState]> = [];
  for (const [name, field] of Object.entries(b.fields)) {
    if (buriedBy(tombstone, field.stamp)) continue;
    const current = ownValue(base.fields, name);
    if (current === undefined || fieldBeats(field, current)) won.push([name, field]);
  }
  if (!tombstoneMoved && won.length === 0) return base;
  const kept = tombstoneMoved ? Object.entries(base.fields).filter(([, field]) => !buriedBy(tombstone, field.stamp)) : Object.entries(base.fields);
  // Object.fromEntries defines properties (a field named `__proto__` stays a field); a later entry replaces an earlier one.
  const fields = Object.freeze(Object.fromEntries([...kept, ...won]));
  return Object.freeze(tombstone === undefined ? { fields } : { fields, tombstone });
}
