/**
 * Convergence with the server folding its tail and dropping old tombstones while clients come
 * and go: 2–5 real clients (the runtime, recover mode) put, delete, go offline and come back;
 * the server is compacted and its clock passes the retention at random steps. At the end every
 * replica holds exactly what a new client bootstrapped from the server's state holds.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Realm } from '../../src/index.js';
import { uploadAcrossResets } from '../support/upload-across-resets.js';
import { Harness } from './harness.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RETENTION_RUNS ?? 12);
const RETENTION_MS = 60_000;

type Step =
  | { kind: 'put'; client: number; id: string; value: number }
  | { kind: 'delete'; client: number; id: string }
  | { kind: 'pause' | 'resume'; client: number }
  | { kind: 'compact' }
  | { kind: 'age' };

const step = (clients: number): fc.Arbitrary<Step> => {
  const client = fc.nat(clients - 1);
  const id = fc.constantFrom('d0', 'd1', 'd2', 'd3');
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), client, id, value: fc.nat(99) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), client, id }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const), client }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'age' as const }) },
  );
};
const schedule = fc.integer({ min: 2, max: 5 }).chain((clients) => fc.tuple(fc.constant(clients), fc.array(step(clients), { minLength: 5, maxLength: 30 })));

let h: Harness;
let offset = 0;
let run = 0;
beforeAll(async () => {
  h = await new Harness().start({ historyRetentionMs: RETENTION_MS, now: () => Date.now() + offset });
});
afterAll(async () => {
  await h.close();
});

/**
 * Waits until `realm` has uploaded and downloaded everything; a replica paused past the
 * retention is reset (clientFileExpired) meanwhile, and its replayed changes are waited for too.
 */
const settle = async (realm: Realm) => {
  await uploadAcrossResets(realm.syncSession!);
  await realm.syncSession!.waitForDownload(AbortSignal.timeout(20_000));
};

describe('convergence with folding and retention', () => {
  it('every replica equals the server state at the end', async () => {
    let steps = 0;
    let compactions = 0;
    let dropped = 0;
    let resets = 0;
    await fc.assert(
      fc.asyncProperty(schedule, async ([clients, plan]) => {
        const partition = `run-${++run}`;
        const replicas = await Promise.all(
          Array.from({ length: clients }, () => h.client(partition, { clientReset: { mode: 'recoverUnsyncedChanges', onBefore: () => void resets++ } })),
        );
        try {
          for (const s of plan) {
            steps++;
            if (s.kind === 'put') replicas[s.client]!.realm.write((tx) => tx.put('Doc', s.id, { v: s.value }));
            else if (s.kind === 'delete') replicas[s.client]!.realm.write((tx) => tx.delete('Doc', s.id));
            else if (s.kind === 'pause') replicas[s.client]!.realm.syncSession!.pause();
            else if (s.kind === 'resume') replicas[s.client]!.realm.syncSession!.resume();
            else if (s.kind === 'age') offset += RETENTION_MS / 2 + 1;
            else {
              const report = await h.server.compactPartition(partition);
              compactions++;
              dropped += report.droppedTombstones;
            }
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          for (const { realm } of replicas) realm.syncSession!.resume();
          // Twice: the second round's downloads follow every upload of the first.
          for (let round = 0; round < 2; round++) for (const { realm } of replicas) await settle(realm);
          const fresh = await h.client(partition);
          await settle(fresh.realm);
          const expected = fresh.realm.objects('Doc');
          for (const { realm } of replicas) expect(realm.objects('Doc')).toEqual(expected);
          for (const { errors } of [...replicas, fresh]) expect(errors).toEqual([]);
        } finally {
          for (const { realm } of replicas) realm.close();
        }
      }),
      { numRuns, seed },
    );
    console.log(`convergence with retention: ${numRuns} runs, seed ${seed}, ${steps} steps, ${compactions} compactions, ${dropped} tombstones dropped, ${resets} client resets`);
    expect(compactions).toBeGreaterThan(0);
  }, 600_000);
});
