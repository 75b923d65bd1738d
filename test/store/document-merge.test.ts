/**
 * `mergeDocumentStates` is the join of document states: for any writes split between two
 * replicas, merging their states gives the state of applying every write to one; merging is
 * idempotent and commutative, also through the snapshot entries a `state` message carries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json } from '../../src/protocol/json.codec.js';
import { mergeDocumentStates } from '../../src/store/document-merge.js';
import { applyDelete, applyPut, EMPTY_DOCUMENT, visibleFields, type DocumentState } from '../../src/store/document-state.js';
import { documentToEntry, entryToDocument } from '../../src/store/snapshot.js';
import type { Stamp } from '../../src/store/stamp.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RUNS ?? 1_000);

/** One write and which replicas have it (a: only A, b: only B, both). */
interface Write {
  readonly stamp: Stamp;
  readonly op: { readonly kind: 'put'; readonly fields: Readonly<Record<string, Json>> } | { readonly kind: 'delete' };
  readonly at: 'a' | 'b' | 'both';
}

// Narrow ranges, so that stamps tie often (duplicate stamps too: a hostile replica's, resolved by value).
const stamp: fc.Arbitrary<Stamp> = fc.record({ wall: fc.nat(4), counter: fc.nat(1), origin: fc.constantFrom('o1', 'o2'), opIndex: fc.nat(1) });
const fieldName = fc.constantFrom('a', 'b', '__proto__', 'constructor');
const value: fc.Arbitrary<Json> = fc.oneof(fc.nat(3), fc.constantFrom('x', 'y', null, true), fc.constant({ n: [1] }));
const write: fc.Arbitrary<Write> = fc.record({
  stamp,
  op: fc.oneof(
    fc.record({ kind: fc.constant('put' as const), fields: fc.dictionary(fieldName, value, { minKeys: 1, maxKeys: 3 }) }),
    fc.constant({ kind: 'delete' as const }),
  ),
  at: fc.constantFrom('a', 'b', 'both'),
});

const apply = (writes: readonly Write[]): DocumentState | undefined =>
  writes.reduce<DocumentState | undefined>((doc, w) => (w.op.kind === 'put' ? applyPut(doc, w.op.fields, w.stamp) : applyDelete(doc, w.stamp)), undefined);

/** A document state as comparable data: fields sorted by name. */
const canonical = (doc: DocumentState | undefined): unknown => {
  const entry = documentToEntry('T', 'i', doc ?? EMPTY_DOCUMENT);
  return { fields: [...entry.fields].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)), tombstone: entry.tombstone };
};

/** B's state as a `state` message carries it: through its snapshot entry and back. */
const viaEntry = (doc: DocumentState): DocumentState => entryToDocument(JSON.parse(JSON.stringify(documentToEntry('T', 'i', doc))));

describe('mergeDocumentStates', () => {
  it('merging two replicas equals applying all writes to one; idempotent; commutative', () => {
    let withTombstone = 0;
    let tiedStamps = 0;
    fc.assert(
      fc.property(fc.array(write, { maxLength: 12 }), (writes) => {
        const a = apply(writes.filter((w) => w.at !== 'b')) ?? EMPTY_DOCUMENT;
        const b = apply(writes.filter((w) => w.at !== 'a')) ?? EMPTY_DOCUMENT;
        const all = apply(writes) ?? EMPTY_DOCUMENT;
        const merged = mergeDocumentStates(a, b);
        if (all.tombstone !== undefined) withTombstone++;
        if (new Set(writes.map((w) => JSON.stringify(w.stamp))).size < writes.length) tiedStamps++;
        expect(canonical(merged)).toEqual(canonical(all));
        expect(visibleFields(merged)).toEqual(visibleFields(all));
        expect(canonical(mergeDocumentStates(a, viaEntry(b)))).toEqual(canonical(all));
        expect(canonical(mergeDocumentStates(undefined, b))).toEqual(canonical(b));
        // Idempotent: merging what is already there changes nothing (by identity too).
        expect(mergeDocumentStates(merged, merged)).toBe(merged);
        expect(mergeDocumentStates(merged, b)).toBe(merged);
        expect(mergeDocumentStates(merged, viaEntry(a))).toBe(merged);
        // Commutative.
        expect(canonical(mergeDocumentStates(b, a))).toEqual(canonical(merged));
      }),
      { numRuns, seed },
    );
    console.log(`mergeDocumentStates: ${numRuns} write sets, seed ${seed}: ${withTombstone} with a tombstone, ${tiedStamps} with tied stamps`);
    expect(withTombstone).toBeGreaterThan(0);
    expect(tiedStamps).toBeGreaterThan(0);
  });

  it('associative over three replicas', () => {
    fc.assert(
      fc.property(fc.array(write, { maxLength: 8 }), fc.array(write, { maxLength: 8 }), fc.array(write, { maxLength: 8 }), (x, y, z) => {
        const [a, b, c] = [x, y, z].map((w) => apply(w) ?? EMPTY_DOCUMENT) as [DocumentState, DocumentState, DocumentState];
        expect(canonical(mergeDocumentStates(mergeDocumentStates(a, b), c))).toEqual(canonical(mergeDocumentStates(a, mergeDocumentStates(b, c))));
        expect(canonical(mergeDocumentStates(mergeDocumentStates(a, b), c))).toEqual(canonical(apply([...x, ...y, ...z])));
      }),
      { numRuns: Math.min(numRuns, 500), seed },
    );
  });

  it('the greater tombstone drops fields at or below it, from either side; a later field survives it', () => {
    const st = (wall: number): Stamp => ({ wall, counter: 0, origin: 'o', opIndex: 0 });
    const local = applyPut(applyPut(undefined, { a: 1 }, st(1)), { b: 2 }, st(5));
    const remote = applyDelete(undefined, st(3));
    const merged = mergeDocumentStates(local, remote);
    expect(visibleFields(merged)).toEqual({ b: 2 });
    expect(merged.tombstone).toEqual(st(3));
    // A field stamped exactly at the tombstone is hidden, as applyPut hides it.
    expect(visibleFields(mergeDocumentStates(applyPut(undefined, { c: 1 }, st(3)), remote))).toBeUndefined();
    // A field named __proto__ stays an own field.
    const proto = mergeDocumentStates(undefined, applyPut(undefined, { ['__proto__']: 'p' }, st(4)));
    expect(Object.hasOwn(proto.fields, '__proto__')).toBe(true);
  });
});
