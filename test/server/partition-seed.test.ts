import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Changeset, Json, Operation } from '../../src/protocol/index.js';
import { partitionSeed } from '../../src/server/partition-seed.js';
import { originHistory as sharedOriginHistory } from '../protocol/arbitraries.js';
import { DocumentSet } from '../../src/store/document-set.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.FC_SEED_RUNS ?? 300);

const types = ['T', 'U'] as const;
const ids = ['1', '2', '3'] as const;
const fieldNames = ['x', 'y', 'z', '__proto__'] as const;
const value: fc.Arbitrary<Json> = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('a', 'b'), fc.constant(null), fc.constant([1, { k: true }]));

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('put' as const),
      type: fc.constantFrom(...types),
      id: fc.constantFrom(...ids),
      // Empty puts too: the wire accepts them, and they are what the seed fills gaps with.
      fields: fc.dictionary(fc.constantFrom(...fieldNames), value, { maxKeys: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), type: fc.constantFrom(...types), id: fc.constantFrom(...ids) }) },
);

/** One origin's changesets: client versions 1, 2, 3, … and increasing HLCs over a narrow range (many cross-origin ties). */
const originHistory = (origin: string): fc.Arbitrary<Changeset[]> => sharedOriginHistory(origin, operation, { maxOps: 6, maxChangesets: 6 });

/** Histories in an interleaving of the origins, and later changesets (random stamps, old or new) to apply after. */
const world = fc
  .uniqueArray(fc.constantFrom('a', 'b', 'c', 'B', 'ä'), { minLength: 1, maxLength: 4 })
  .chain((origins) => fc.tuple(...origins.map(originHistory)))
  .map((histories) => histories.flat())
  .chain((all) =>
    fc.tuple(
      fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }),
      fc.array(
        fc.record({ clientVersion: fc.nat(9), origin: fc.constantFrom('a', 'z'), hlc: fc.record({ wall: fc.nat(12), counter: fc.nat(2) }), ops: fc.array(operation, { minLength: 1, maxLength: 3 }) }),
        { maxLength: 4 },
      ),
      fc.nat(),
    ),
  );

/** Every document state, stamps and tombstones included; documents with neither (empty puts only) carry nothing and are left out. */
function dump(set: DocumentSet): unknown {
  return [...set.entries()]
    .filter(({ state }) => Object.keys(state.fields).length > 0 || state.tombstone !== undefined)
    .map(({ type, id, state }) => ({ key: JSON.stringify([type, id]), fields: Object.entries(state.fields).sort(([a], [b]) => (a < b ? -1 : 1)), tombstone: state.tombstone ?? null }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

function replicate(changesets: readonly Changeset[]): DocumentSet {
  const set = new DocumentSet();
  for (const c of changesets) set.applyChangeset(c);
  return set;
}

/** `items` in an order drawn from `n`. */
function permute<T>(items: readonly T[], n: number): T[] {
  const out = [...items];
  let r = n;
  for (let i = out.length - 1; i > 0; i--) {
    const j = r % (i + 1);
    r = Math.floor(r / (i + 1)) + 7 * i;
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('partition seed', () => {
  it(`gives every replica the history's document states, stamps included, in any order (${RUNS} runs)`, () => {
    let changesets = 0;
    let ops = 0;
    let seedChangesets = 0;
    let seedOps = 0;
    let fillers = 0;
    let tombstones = 0;
    fc.assert(
      fc.property(world, ([history, later, order]) => {
        const seeded = partitionSeed(history.map((changeset) => ({ changeset }))).map((s) => s.changeset);
        const expected = dump(replicate(history));
        expect(dump(replicate(seeded))).toEqual(expected);
        expect(dump(replicate(permute(seeded, order)))).toEqual(expected);
        // A replica of the old epoch (or a file that re-uploads its old changesets) that also gets the seed: nothing changes.
        expect(dump(replicate(permute([...history, ...seeded], order)))).toEqual(expected);
        // Whatever is written after the reset resolves against the seed as against the history.
        expect(dump(replicate([...seeded, ...later]))).toEqual(dump(replicate([...history, ...later])));
        // Never more than the history: one seed changeset per original at most, never longer than it.
        expect(seeded.length).toBeLessThanOrEqual(history.length);
        for (const s of seeded) {
          const original = history.find((c) => c.origin === s.origin && c.hlc.wall === s.hlc.wall && c.hlc.counter === s.hlc.counter)!;
          expect(s.clientVersion).toBe(original.clientVersion);
          expect(s.ops.length).toBeLessThanOrEqual(original.ops.length);
        }
        changesets += history.length;
        ops += history.reduce((n, c) => n + c.ops.length, 0);
        seedChangesets += seeded.length;
        seedOps += seeded.reduce((n, c) => n + c.ops.length, 0);
        fillers += seeded.reduce((n, c) => n + c.ops.filter((op) => op.op === 'put' && Object.keys(op.fields).length === 0).length, 0);
        tombstones += seeded.reduce((n, c) => n + c.ops.filter((op) => op.op === 'delete').length, 0);
      }),
      { numRuns: RUNS, seed },
    );
    console.log(
      `partition seed property: ${RUNS} runs, seed ${seed} (FC_SEED=${seed} to replay); history ${changesets} changesets / ${ops} operations, ` +
        `seed ${seedChangesets} changesets / ${seedOps} operations (${fillers} empty puts, ${tombstones} tombstones)`,
    );
  });

  it('keeps two changesets that share one HLC reading of one origin (a hostile file) apart', () => {
    const history: Changeset[] = [
      { clientVersion: 1, origin: 'a', hlc: { wall: 5, counter: 0 }, ops: [{ op: 'put', type: 'T', id: '1', fields: { x: 1 } }] },
      { clientVersion: 2, origin: 'a', hlc: { wall: 5, counter: 0 }, ops: [{ op: 'put', type: 'T', id: '2', fields: { x: 2 } }] },
    ];
    const seeded = partitionSeed(history.map((changeset) => ({ changeset }))).map((s) => s.changeset);
    expect(seeded).toHaveLength(2);
    expect(dump(replicate(seeded))).toEqual(dump(replicate(history)));
  });

  it('carries the uploading user of each changeset it keeps', () => {
    const seeded = partitionSeed([
      { changeset: { clientVersion: 1, origin: 'a', hlc: { wall: 1, counter: 0 }, ops: [{ op: 'put', type: 'T', id: '1', fields: { x: 1 } }] }, owner: 'alice' },
      { changeset: { clientVersion: 1, origin: 'b', hlc: { wall: 2, counter: 0 }, ops: [{ op: 'put', type: 'T', id: '1', fields: { x: 2 } }] }, owner: 'bob' },
      { changeset: { clientVersion: 2, origin: 'a', hlc: { wall: 3, counter: 0 }, ops: [{ op: 'put', type: 'T', id: '2', fields: {} }, { op: 'delete', type: 'T', id: '3' }] }, owner: 'alice' },
    ]);
    // a's first write lost to b's; a's second keeps its delete at index 1, index 0 filled.
    expect(seeded).toEqual([
      { changeset: { clientVersion: 1, origin: 'b', hlc: { wall: 2, counter: 0 }, ops: [{ op: 'put', type: 'T', id: '1', fields: { x: 2 } }] }, owner: 'bob' },
      { changeset: { clientVersion: 2, origin: 'a', hlc: { wall: 3, counter: 0 }, ops: [{ op: 'put', type: 'T', id: '3', fields: {} }, { op: 'delete', type: 'T', id: '3' }] }, owner: 'alice' },
    ]);
  });
});
