import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Changeset, Operation } from '../../src/protocol/changeset.codec.js';
import type { Json } from '../../src/protocol/json.codec.js';
import { DocumentSet } from '../../src/store/document-set.js';
import { originHistory as sharedOriginHistory } from '../protocol/arbitraries.js';
import { applyDelete, applyPut, isVisible, visibleFields } from '../../src/store/document-state.js';
import { compareStamps, stampOf, type Stamp } from '../../src/store/stamp.js';

const st = (wall: number, origin = 'a', opIndex = 0, counter = 0): Stamp => ({ wall, counter, origin, opIndex });

describe('document state', () => {
  it('a field takes the value of the greater stamp, whatever the order', () => {
    const a = applyPut(applyPut(undefined, { x: 1 }, st(1)), { x: 2 }, st(2));
    const b = applyPut(applyPut(undefined, { x: 2 }, st(2)), { x: 1 }, st(1));
    expect(visibleFields(a)).toEqual({ x: 2 });
    expect(b).toEqual(a);
  });

  it('fields not named in a put keep their values', () => {
    const doc = applyPut(applyPut(undefined, { x: 1, y: 1 }, st(1)), { y: 2 }, st(2));
    expect(visibleFields(doc)).toEqual({ x: 1, y: 2 });
  });

  it('a delete hides every field written before it; a later put brings back only its own fields', () => {
    let doc = applyPut(undefined, { x: 1, y: 1 }, st(1));
    doc = applyDelete(doc, st(2));
    expect(isVisible(doc)).toBe(false);
    expect(visibleFields(doc)).toBeUndefined();
    doc = applyPut(doc, { y: 3 }, st(3));
    expect(visibleFields(doc)).toEqual({ y: 3 });
  });

  it('a put older than the tombstone is dropped; the tombstone keeps the greatest delete', () => {
    let doc = applyDelete(undefined, st(5));
    doc = applyDelete(doc, st(3));
    expect(doc.tombstone).toEqual(st(5));
    const before = doc;
    expect(applyPut(doc, { x: 1 }, st(4))).toBe(before);
    expect(applyPut(doc, { x: 1 }, st(5, 'a', 0))).toBe(before); // equal stamps: the delete wins
  });

  it('within one changeset a later operation wins (opIndex)', () => {
    const put = applyPut(undefined, { x: 1 }, st(1, 'a', 0));
    expect(visibleFields(applyDelete(put, st(1, 'a', 1)))).toBeUndefined();
    expect(visibleFields(applyPut(put, { x: 2 }, st(1, 'a', 1)))).toEqual({ x: 2 });
  });

  it('ties on wall and counter are broken by origin', () => {
    // Values ordered against origins, so the value tie-break of duplicate stamps cannot pass for it.
    const a = applyPut(applyPut(undefined, { x: 'Z from a' }, st(1, 'a')), { x: 'A from b' }, st(1, 'b'));
    const b = applyPut(applyPut(undefined, { x: 'A from b' }, st(1, 'b')), { x: 'Z from a' }, st(1, 'a'));
    expect(visibleFields(a)).toEqual({ x: 'A from b' });
    expect(b).toEqual(a);
  });

  it('a duplicated stamp with different values resolves the same way in any order', () => {
    const one = applyPut(applyPut(undefined, { x: 1 }, st(1)), { x: 2 }, st(1));
    const two = applyPut(applyPut(undefined, { x: 2 }, st(1)), { x: 1 }, st(1));
    expect(one).toEqual(two);
  });

  it('returns the same object when nothing changes, and frozen states', () => {
    const doc = applyPut(undefined, { x: 1 }, st(2));
    expect(applyPut(doc, { x: 0 }, st(1))).toBe(doc);
    expect(Object.isFrozen(doc)).toBe(true);
    expect(Object.isFrozen(doc.fields)).toBe(true);
    expect(Object.isFrozen(visibleFields(doc))).toBe(true);
  });

  it('field names like __proto__ and constructor are plain fields', () => {
    const fields = JSON.parse('{"__proto__": 1, "constructor": 2, "toString": 3}') as Record<string, Json>;
    const doc = applyPut(undefined, fields, st(1));
    const view = visibleFields(doc);
    expect(Object.keys(view ?? {})).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(view)).toBe(Object.prototype);
    const older = applyPut(doc, JSON.parse('{"constructor": 9}') as Record<string, Json>, st(0));
    expect(older).toBe(doc);
  });
});

// ---------------------------------------------------------------------------------------------
// Convergence: the same set of changesets, in any order, any number of times, gives one state.

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.FC_CONVERGENCE_RUNS ?? 300);

const types = ['T', 'U'] as const;
const ids = ['1', '2', '3'] as const;
const fieldNames = ['x', 'y', 'z', '__proto__'] as const;
const value: fc.Arbitrary<Json> = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('a', 'b'), fc.constant(null), fc.constant([1, { k: true }]));

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('put' as const),
      type: fc.constantFrom(...types),
      id: fc.constantFrom(...ids),
      fields: fc.dictionary(fc.constantFrom(...fieldNames), value, { minKeys: 1, maxKeys: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), type: fc.constantFrom(...types), id: fc.constantFrom(...ids) }) },
);

/** One origin's changesets: client versions 1, 2, 3, … and strictly increasing HLCs over a narrow wall range (many cross-origin ties). */
const originHistory = (origin: string): fc.Arbitrary<Changeset[]> => sharedOriginHistory(origin, operation, { maxOps: 4, maxChangesets: 5 });

const world = fc
  .uniqueArray(fc.constantFrom('a', 'b', 'c', 'B', 'ab', 'ä'), { minLength: 2, maxLength: 5 })
  .chain((origins) => fc.tuple(...origins.map(originHistory)))
  .map((histories) => histories.flat())
  .chain((all) =>
    fc.tuple(
      fc.constant(all),
      fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }),
      fc.array(fc.tuple(fc.nat(all.length - 1), fc.nat(all.length * 2)), { maxLength: all.length }),
    ),
  );

/** A canonical dump of every document state, stamps and tombstones included. */
function dump(set: DocumentSet): unknown {
  return [...set.entries()]
    .map(({ type, id, state }) => ({
      key: `${type}/${id}`,
      fields: Object.entries(state.fields).sort(([a], [b]) => (a < b ? -1 : 1)),
      tombstone: state.tombstone ?? null,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

function replicate(changesets: readonly Changeset[]): DocumentSet {
  const set = new DocumentSet();
  for (const c of changesets) set.applyChangeset(c);
  return set;
}

/** Reference semantics: every operation of a document in stamp order, applied as a plain sequential map. */
function reference(changesets: readonly Changeset[], type: string): Array<{ id: string; fields: Record<string, Json> }> {
  const events = changesets.flatMap((c) => c.ops.map((op, i) => ({ op, stamp: stampOf(c, i) }))).filter((e) => e.op.type === type);
  events.sort((a, b) => compareStamps(a.stamp, b.stamp));
  const docs = new Map<string, Map<string, Json>>();
  for (const { op } of events) {
    if (op.op === 'delete') docs.delete(op.id);
    else {
      const fields = docs.get(op.id) ?? new Map<string, Json>();
      for (const [name, v] of Object.entries(op.fields)) fields.set(name, v);
      docs.set(op.id, fields);
    }
  }
  return [...docs.entries()]
    .filter(([, fields]) => fields.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, fields]) => ({ id, fields: Object.fromEntries(fields) }));
}

describe('convergence property', () => {
  it(`any order, with duplicates, gives identical states and visible documents (${RUNS} runs)`, () => {
    let changesetsSeen = 0;
    let opsSeen = 0;
    let duplicatesDelivered = 0;
    let crossOriginTies = 0;
    fc.assert(
      fc.property(world, ([canonical, shuffled, duplicates]) => {
        const delivered: Changeset[] = [...shuffled];
        for (const [which, at] of duplicates) delivered.splice(at % (delivered.length + 1), 0, canonical[which]!);
        const a = replicate(canonical);
        const b = replicate(delivered);
        const c = replicate([...canonical].reverse());
        expect(dump(b)).toEqual(dump(a));
        expect(dump(c)).toEqual(dump(a));
        for (const type of types) {
          expect(b.list(type)).toEqual(a.list(type));
          expect(a.list(type)).toEqual(reference(canonical, type));
        }
        changesetsSeen += canonical.length;
        opsSeen += canonical.reduce((n, cs) => n + cs.ops.length, 0);
        duplicatesDelivered += duplicates.length;
        const hlcs = canonical.map((cs) => `${cs.hlc.wall}.${cs.hlc.counter}`);
        crossOriginTies += hlcs.length - new Set(hlcs).size;
      }),
      { numRuns: RUNS, seed },
    );
    console.log(
      `convergence property: ${RUNS} runs, seed ${seed} (FC_SEED=${seed} to replay); ${changesetsSeen} changesets, ${opsSeen} operations, ` +
        `${duplicatesDelivered} duplicate deliveries, ${crossOriginTies} changesets sharing an HLC reading with another origin`,
    );
  });
});
