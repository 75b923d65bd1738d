/**
 * A compensating write at the store: the server refused some pending changesets, and the file
 * must read exactly as if they had never been written, whatever came in between (remote writes
 * that lost to them or beat them, acknowledgements, other pending writes to the same documents),
 * after a reopen and after a compaction too. The model is the definition: a document state is a
 * function of the set of writes that reached it (`document-state.ts`), so the expected file is
 * every remote write and every local write the server did not refuse, applied to an empty set.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Changeset, Operation } from '../../src/protocol/changeset.codec.js';
import { DocumentSet } from '../../src/store/document-set.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { InvalidInputError } from '../../src/store/store-errors.js';
import { decodedChangesets } from '../support/decoded-changesets.js';
import { useTempDir } from './temp-dir.js';

const tempDir = useTempDir('compensating-write');
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

const IDS = ['a', 'b', 'c'];
const FIELDS = ['x', 'y'];

type Step =
  | { readonly kind: 'local'; readonly ops: readonly Operation[]; readonly advanceMs: number }
  | { readonly kind: 'remote'; readonly ops: readonly Operation[]; readonly wallOffset: number }
  | { readonly kind: 'ack'; readonly pick: number }
  | { readonly kind: 'compensate'; readonly picks: readonly number[] }
  | { readonly kind: 'reopen' }
  | { readonly kind: 'compact' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), type: fc.constant('Doc'), id: fc.constantFrom(...IDS), fields: fc.dictionary(fc.constantFrom(...FIELDS), fc.integer({ min: 0, max: 99 }), { minKeys: 1, maxKeys: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), type: fc.constant('Doc'), id: fc.constantFrom(...IDS) }) },
);
const ops = fc.array(operation, { minLength: 1, maxLength: 3 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('local' as const), ops, advanceMs: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('remote' as const), ops, wallOffset: fc.integer({ min: -5, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('compensate' as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'compact' as const }) },
);

/** What the file must read as: every write that reached the server's side, and the local ones not refused. */
function expected(remote: readonly Changeset[], local: ReadonlyMap<number, Changeset>, refused: ReadonlySet<number>) {
  const docs = new DocumentSet();
  for (const changeset of remote) docs.applyChangeset(changeset);
  for (const [version, changeset] of local) if (!refused.has(version)) docs.applyChangeset(changeset);
  return docs.list('Doc');
}

describe('compensating writes in the realm file', () => {
  it('reverts exactly the refused changesets, across remote writes, acknowledgements, reopens and compactions', async () => {
    const covered = { runs: 0, steps: 0, refused: 0, reverted: 0, refusedAcknowledged: 0, reopened: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), fc.constantFrom<'full' | 'batched'>('full', 'batched'), async (steps, durability) => {
        covered.runs++;
        const dir = join(tempDir(), `r${covered.runs}`);
        const path = join(dir, 'c.realm');
        let clock = 1_000;
        const open = () => RealmFile.open({ path, now: () => clock, durability });
        let realm = open();
        const remote: Changeset[] = [];
        const local = new Map<number, Changeset>();
        const refused = new Set<number>();
        let serverVersion = 0;
        let peerVersion = 0;
        try {
          for (const s of steps) {
            covered.steps++;
            switch (s.kind) {
              case 'local':
                clock += s.advanceMs;
                realm.write((tx) => {
                  for (const op of s.ops) {
                    if (op.op === 'put') tx.put(op.type, op.id, op.fields);
                    else tx.delete(op.type, op.id);
                  }
                });
                // Only what is durable is uploaded, and so only that can be refused.
                await realm.flush();
                local.set(realm.clientVersion, realm.pendingChangesets(realm.clientVersion - 1)[0]!);
                break;
              case 'remote': {
                const changeset = { origin: 'peer', clientVersion: ++peerVersion, serverVersion: ++serverVersion, hlc: { wall: clock + s.wallOffset, counter: peerVersion }, ops: s.ops };
                realm.integrateDownload(decodedChangesets([changeset]), { serverVersion, clientVersion: realm.cursors.upload.clientVersion });
                remote.push(changeset);
                break;
              }
              case 'ack': {
                const pending = realm.pendingChangesets(0);
                if (pending.length === 0) break;
                const through = pending[s.pick % pending.length]!.clientVersion;
                for (const c of pending) if (c.clientVersion <= through && refused.has(c.clientVersion)) covered.refusedAcknowledged++;
                realm.acknowledgeUpload(through);
                break;
              }
              case 'compensate': {
                const pending = realm.pendingChangesets(0);
                if (pending.length === 0) break;
                const asked = s.picks.map((p) => pending[p % pending.length]!.clientVersion);
                const named = realm.compensate(asked);
                // Only pending changesets with operations are refused; one refused already is not named again.
                expect(named).toEqual([...new Set(asked)].filter((v) => !refused.has(v)).sort((a, b) => a - b));
                for (const v of named) refused.add(v);
                covered.refused += named.length;
                for (const v of named) expect(realm.pendingChangesets(v - 1)[0]).toMatchObject({ clientVersion: v, ops: [] });
                break;
              }
              case 'reopen':
                realm.close();
                realm = open();
                covered.reopened++;
                break;
              case 'compact':
                realm.compact();
                break;
            }
            const want = expected(remote, local, refused);
            expect(realm.objects('Doc')).toEqual(want);
          }
          if (refused.size > 0) covered.reverted++;
          realm.close();
          realm = open();
          expect(realm.objects('Doc')).toEqual(expected(remote, local, refused));
        } finally {
          realm.close();
        }
      }),
      { seed, numRuns: 500 },
    );
    console.log(`compensating writes (seed ${seed}): ${JSON.stringify(covered)}`);
    expect(covered.refused).toBeGreaterThan(0);
    expect(covered.reopened).toBeGreaterThan(0);
  });

  it('refuses a malformed call, and names nothing for versions not pending', () => {
    const realm = RealmFile.open({ path: join(tempDir(), 'm.realm'), now: () => 1 });
    try {
      realm.write((tx) => tx.put('Doc', 'a', { x: 1 }));
      realm.acknowledgeUpload(1);
      realm.write((tx) => tx.put('Doc', 'a', { x: 2 }));
      expect(() => realm.compensate('1' as unknown as number[])).toThrow(InvalidInputError);
      expect(() => realm.compensate([Number.NaN])).toThrow(InvalidInputError);
      expect(() => realm.compensate([-1])).toThrow(InvalidInputError);
      // Acknowledged (1), not written (9), far beyond the safe integers: nothing is refused.
      expect(realm.compensate([1, 9, Number.MAX_SAFE_INTEGER])).toEqual([]);
      expect(realm.objects('Doc')).toEqual([{ id: 'a', fields: { x: 2 } }]);
      expect(realm.compensate([2, 2])).toEqual([2]);
      expect(realm.objects('Doc')).toEqual([{ id: 'a', fields: { x: 1 } }]);
      expect(realm.compensate([2])).toEqual([]);
    } finally {
      realm.close();
    }
  });
});
