/**
 * The documents as they would be without this file's unacknowledged changesets: the join of
 * every write the server has, as far as this file knows (other files' changesets, and this
 * file's acknowledged ones). A compensating write (the server refused some pending changesets,
 * PROTOCOL.md "Compensating writes") puts the documents those touched back to this, with the
 * pending changesets the server did not refuse applied again on top. The merged document state
 * alone cannot give it back: a field keeps only its winning write, so the value a refused write
 * beat, or a remote write it hid, is gone from it.
 *
 * Kept only for the documents some pending changeset touches (counted per changeset), so what it
 * holds is bounded by what is pending. No I/O: `RealmState` keeps it in step with its records.
 */
import type { Changeset } from '../protocol/changeset.codec.js';
import { mergeDocumentStates } from './document-merge.js';
import { documentKeyOf, type DocumentKey, type DocumentSet } from './document-set.js';
import { applyOperation, type DocumentState } from './document-state.js';
import { stampOf } from './stamp.js';

/** One kept document: its state without the pending changesets, `undefined` when it had none. */
export interface BaseDocument {
  readonly type: string;
  readonly id: string;
  readonly state: DocumentState | undefined;
}

type Stamped = Pick<Changeset, 'hlc' | 'origin' | 'ops'>;

/** The distinct documents `changeset` touches, in the order of their first operation. */
export function documentsOf(changeset: Pick<Changeset, 'ops'>): DocumentKey[] {
  const keys = new Map<string, DocumentKey>();
  for (const { type, id } of changeset.ops) {
    const key = documentKeyOf(type, id);
    if (!keys.has(key)) keys.set(key, { type, id });
  }
  return [...keys.values()];
}

/** See the module comment. */
export class PendingBase {
  private readonly kept = new Map<string, BaseDocument>();
  /** How many pending changesets touch each kept document. */
  private readonly refs = new Map<string, number>();

  /** How many documents are kept. */
  get size(): number {
    return this.kept.size;
  }

  /** Every kept document, for a snapshot. */
  entries(): IterableIterator<BaseDocument> {
    return this.kept.values();
  }

  /** The kept state of one document (`undefined`: not kept, or kept as having no state). */
  get(type: string, id: string): BaseDocument | undefined {
    return this.kept.get(documentKeyOf(type, id));
  }

  /**
   * A local changeset is about to apply to `documents`: each document it touches that no
   * pending changeset touched yet is kept as it is now, which is what the server's writes made it.
   */
  beforeLocal(documents: DocumentSet, changeset: Pick<Changeset, 'ops'>): void {
    for (const { type, id } of documentsOf(changeset)) {
      const key = documentKeyOf(type, id);
      if (!this.kept.has(key)) this.kept.set(key, { type, id, state: documents.get(type, id) });
      this.refs.set(key, (this.refs.get(key) ?? 0) + 1);
    }
  }

  /** Another file's changeset reached the documents: the kept ones it touches take it too. */
  applyRemote(changeset: Stamped): void {
    if (this.kept.size === 0) return;
    this.applyKept(changeset);
  }

  /** A document of the server's state was merged into the documents: its kept state takes it too. */
  mergeRemote(type: string, id: string, state: DocumentState): void {
    const key = documentKeyOf(type, id);
    const entry = this.kept.get(key);
    if (entry === undefined) return;
    this.kept.set(key, { type, id, state: mergeDocumentStates(entry.state, state) });
  }

  /** The server took a pending changeset: the kept documents take it, and those only it still held are let go. */
  acknowledge(changeset: Stamped): void {
    this.applyKept(changeset);
    this.release(changeset);
  }

  /**
   * The server refused pending `changeset` (it never took it): the documents it touched, and
   * their states without it, with `remaining` (the pending changesets the server did not refuse,
   * in client-version order) applied again on top. Those no pending changeset touches any more
   * are let go.
   */
  refuse(changeset: Stamped, remaining: readonly Stamped[]): BaseDocument[] {
    const touched = documentsOf(changeset).map(({ type, id }) => ({ type, id, state: this.kept.get(documentKeyOf(type, id))?.state }));
    this.release(changeset);
    return touched.map(({ type, id, state: kept }) => {
      const key = documentKeyOf(type, id);
      let state = kept;
      if (this.refs.has(key)) {
        for (const other of remaining) {
          other.ops.forEach((op, index) => {
            if (op.type === type && op.id === id) state = applyOperation(state, op, stampOf(other, index));
          });
        }
      }
      return { type, id, state };
    });
  }

  /**
   * Starts over from a snapshot: `kept` as it recorded them, and the count of `pending` per
   * document. A document a pending changeset touches that the snapshot does not keep (a file
   * written before this was kept) is kept as `current` has it: a refusal then leaves it as it is.
   */
  load(kept: readonly BaseDocument[], pending: readonly Pick<Changeset, 'ops'>[], current: DocumentSet): void {
    this.kept.clear();
    this.refs.clear();
    for (const entry of kept) this.kept.set(documentKeyOf(entry.type, entry.id), entry);
    for (const changeset of pending) {
      for (const { type, id } of documentsOf(changeset)) {
        const key = documentKeyOf(type, id);
        if (!this.kept.has(key)) this.kept.set(key, { type, id, state: current.get(type, id) });
        this.refs.set(key, (this.refs.get(key) ?? 0) + 1);
      }
    }
    // A snapshot keeps only what its pending changesets touch; anything else it named is not ours to keep.
    for (const key of [...this.kept.keys()]) if (!this.refs.has(key)) this.kept.delete(key);
  }

  private applyKept(changeset: Stamped): void {
    changeset.ops.forEach((op, index) => {
      const key = documentKeyOf(op.type, op.id);
      const entry = this.kept.get(key);
      if (entry !== undefined) this.kept.set(key, { ...entry, state: applyOperation(entry.state, op, stampOf(changeset, index)) });
    });
  }

  private release(changeset: Pick<Changeset, 'ops'>): void {
    for (const { type, id } of documentsOf(changeset)) {
      const key = documentKeyOf(type, id);
      const left = (this.refs.get(key) ?? 1) - 1;
      if (left > 0) this.refs.set(key, left);
      else {
        this.refs.delete(key);
        this.kept.delete(key);
      }
    }
  }
}
