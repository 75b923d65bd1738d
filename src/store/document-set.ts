/**
 * All documents of a realm, by type and id: the convergent states of `document-state.ts`,
 * the reader's views of them (cached, since reads outnumber writes), and a running estimate of
 * their snapshot size.
 */
import type { Changeset } from '../protocol/changeset.codec.js';
import type { Json } from '../protocol/json.codec.js';
import { mergeDocumentStates } from './document-merge.js';
import { applyOperation, EMPTY_DOCUMENT, visibleFields, type DocumentState } from './document-state.js';
import { estimateDocumentBytes } from './snapshot-size.js';
import { stampOf } from './stamp.js';

/** Names one document. */
export interface DocumentKey {
  readonly type: string;
  readonly id: string;
}

/** A visible document as readers get it. */
export interface VisibleObject {
  readonly id: string;
  readonly fields: Readonly<Record<string, Json>>;
}

const viewCache = new WeakMap<DocumentState, Readonly<Record<string, Json>> | null>();

/** The visible fields of `doc`, computed once per (immutable) state. */
function viewOf(doc: DocumentState): Readonly<Record<string, Json>> | undefined {
  let view = viewCache.get(doc);
  if (view === undefined) {
    view = visibleFields(doc) ?? null;
    viewCache.set(doc, view);
  }
  return view ?? undefined;
}

const NO_OBJECTS: readonly VisibleObject[] = Object.freeze([]);

const byId = (a: VisibleObject, b: VisibleObject): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * A map key naming one document. The type's length leads, so no two (type, id) pairs share a
 * key (unlike a plain join), at a fraction of the cost of `JSON.stringify([type, id])`.
 */
export const documentKeyOf = (type: string, id: string): string => `${type.length}:${type}${id}`;

/** A mutable collection of document states. */
export class DocumentSet {
  private readonly byType = new Map<string, Map<string, DocumentState>>();
  private readonly listCache = new Map<string, readonly VisibleObject[]>();
  private bytes = 0;

  /** Whether it holds no document state at all. */
  get isEmpty(): boolean {
    return this.byType.size === 0;
  }

  /** Estimated snapshot bytes of every document held (tombstones included). */
  get estimatedBytes(): number {
    return this.bytes;
  }

  /** The state of one document, visible or not. */
  get(type: string, id: string): DocumentState | undefined {
    return this.byType.get(type)?.get(id);
  }

  /** Replaces the state of one document. Returns whether it changed (states are compared by identity). */
  set(type: string, id: string, doc: DocumentState): boolean {
    let docs = this.byType.get(type);
    const before = docs?.get(id);
    if (before === doc) return false;
    if (docs === undefined) {
      docs = new Map();
      this.byType.set(type, docs);
    }
    docs.set(id, doc);
    this.listCache.delete(type);
    this.bytes += estimateDocumentBytes(type, id, doc) - estimateDocumentBytes(type, id, before);
    return true;
  }

  /** Applies every operation of `changeset`, in order; returns the documents whose state changed, each once. */
  applyChangeset(changeset: Pick<Changeset, 'hlc' | 'origin' | 'ops'>): DocumentKey[] {
    const changed = new Map<string, DocumentKey>();
    changeset.ops.forEach((op, index) => {
      const next = applyOperation(this.get(op.type, op.id), op, stampOf(changeset, index));
      if (this.set(op.type, op.id, next)) changed.set(documentKeyOf(op.type, op.id), { type: op.type, id: op.id });
    });
    return [...changed.values()];
  }

  /**
   * Merges another replica's state of one document into this one's (`mergeDocumentStates`);
   * returns whether it changed. `other` keeps `document-state.ts`'s invariant (as
   * `entryToDocument` and every state of a DocumentSet do), so a document this set does not
   * hold yet takes it as it is: a bootstrap merges each document twice (staged, then applied).
   */
  merge(type: string, id: string, other: DocumentState): boolean {
    const before = this.get(type, id);
    if (before === undefined) return (other.tombstone !== undefined || Object.keys(other.fields).length > 0) && this.set(type, id, other);
    const next = mergeDocumentStates(before, other);
    // Nothing on either side: no document is made of it.
    if (before === undefined && next === EMPTY_DOCUMENT) return false;
    return this.set(type, id, next);
  }

  /** Forgets one document's state altogether (a tombstone retention dropped, with no field left). */
  delete(type: string, id: string): void {
    const docs = this.byType.get(type);
    const before = docs?.get(id);
    if (docs === undefined || before === undefined) return;
    docs.delete(id);
    if (docs.size === 0) this.byType.delete(type);
    this.listCache.delete(type);
    this.bytes -= estimateDocumentBytes(type, id, before);
  }

  /** The visible fields of one document, or `undefined` if it does not exist for readers. */
  visible(type: string, id: string): Readonly<Record<string, Json>> | undefined {
    const doc = this.get(type, id);
    return doc === undefined ? undefined : viewOf(doc);
  }

  /** The visible documents of `type`, sorted by id (plain code-unit order, the same everywhere). */
  list(type: string): readonly VisibleObject[] {
    const cached = this.listCache.get(type);
    if (cached !== undefined) return cached;
    const docs = this.byType.get(type);
    // Not cached: reading types nobody wrote must not grow the cache.
    if (docs === undefined) return NO_OBJECTS;
    const list: VisibleObject[] = [];
    for (const [id, doc] of docs) {
      const fields = viewOf(doc);
      if (fields !== undefined) list.push(Object.freeze({ id, fields }));
    }
    list.sort(byId);
    const frozen = Object.freeze(list);
    this.listCache.set(type, frozen);
    return frozen;
  }

  /**
   * Every visible document, by type (types with none left out, in code-unit order), each list as
   * {@link list} gives it. Frozen throughout, and later writes replace lists rather than edit
   * them, so what this returns never changes.
   */
  visibleByType(): Readonly<Record<string, readonly VisibleObject[]>> {
    const types = [...this.byType.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    // Object.fromEntries defines properties (a type named `__proto__` stays a type).
    return Object.freeze(Object.fromEntries(types.map((type) => [type, this.list(type)] as const).filter(([, list]) => list.length > 0)));
  }

  /** Every document state held, visible or not (what a snapshot keeps). */
  *entries(): IterableIterator<DocumentKey & { readonly state: DocumentState }> {
    for (const [type, docs] of this.byType) for (const [id, state] of docs) yield { type, id, state };
  }
}
