import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemberSet } from '../../machines/index.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RUNS ?? 200);

type Op = { readonly add: boolean; readonly id: string };
// A few short ids so adds and removes collide often; long shared prefixes as realm paths have.
const ids = Array.from({ length: 41 }, (_, n) => `/tmp/storage/user/p-${n}.realm`);
const id = fc.constantFrom(...ids);
const op: fc.Arbitrary<Op> = fc.record({ add: fc.boolean(), id });

/** The array the chart used to keep: the reference for every version. */
const step = (ids: readonly string[], o: Op): readonly string[] =>
  o.add ? (ids.includes(o.id) ? ids : [...ids, o.id]) : ids.filter((x) => x !== o.id);

describe('MemberSet', () => {
  it('agrees with an ordered array after every operation, and every older version stays as it was', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120, size: 'max' }), fc.array(op, { maxLength: 20 }), (ops, branch) => {
        const versions: Array<{ set: MemberSet; ids: readonly string[] }> = [{ set: MemberSet.empty, ids: [] }];
        for (const o of ops) {
          const last = versions.at(-1)!;
          versions.push({ set: o.add ? last.set.with(o.id) : last.set.without(o.id), ids: step(last.ids, o) });
        }
        // Branch from a middle version, as the explorer does from an old snapshot.
        const from = versions[Math.floor(versions.length / 2)]!;
        let b = from;
        for (const o of branch) b = { set: o.add ? b.set.with(o.id) : b.set.without(o.id), ids: step(b.ids, o) };
        for (const v of [...versions, b]) {
          expect(v.set.ids()).toEqual(v.ids);
          expect(v.set.size).toBe(v.ids.length);
          expect(JSON.stringify(v.set)).toBe(JSON.stringify(v.ids));
          const wrong = ids.filter((x) => v.set.has(x) !== v.ids.includes(x));
          expect(wrong).toEqual([]);
          checked++;
        }
      }),
      { numRuns, seed },
    );
    console.log(`member set: ${numRuns} runs, seed ${seed}, ${checked} versions checked against the array`);
  });

  it('returns the same set for an add it holds or a remove it does not, and the empty set when emptied', () => {
    const a = MemberSet.of(['x', 'y']);
    expect(a.with('x')).toBe(a);
    expect(a.without('z')).toBe(a);
    expect(a.without('x').without('y')).toBe(MemberSet.empty);
    expect(MemberSet.of(['y', 'x', 'y']).ids()).toEqual(['y', 'x']);
  });

  it('keeps order and membership for ten thousand ids', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `/tmp/client/user/p-${i}.realm`);
    let set = MemberSet.of(ids);
    expect(set.size).toBe(10_000);
    expect(set.ids()).toEqual(ids);
    for (let i = 0; i < 10_000; i += 2) set = set.without(ids[i]!);
    expect(set.ids()).toEqual(ids.filter((_, i) => i % 2 === 1));
    expect(set.has(ids[1]!) && !set.has(ids[0]!)).toBe(true);
  });
});
