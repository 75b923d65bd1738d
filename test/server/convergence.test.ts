import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { DocumentSet } from '../../src/store/document-set.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { replicaSteps, type ReplicaStep } from '../support/replica-steps.js';
import { SyncDriver } from '../support/sync-driver.js';
import { downloadEverything } from '../support/wire-download.js';
import { is, logIn, WireClient, type Login } from '../support/wire-client.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_CONVERGENCE_RUNS ?? 200);

type Step = ReplicaStep | { kind: 'compact' };

const step = (clients: number): fc.Arbitrary<Step> =>
  fc.oneof<Array<fc.WeightedArbitrary<Step>>>(...replicaSteps(clients), { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) });
const schedule = fc.integer({ min: 2, max: 5 }).chain((clients) => fc.tuple(fc.constant(clients), fc.array(step(clients), { minLength: 5, maxLength: 40, size: 'large' })));

let root: string;
let server: SyncServer;
let user: Login;
let run = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'convergence-'));
  server = await startServer({ dataDir: join(root, 'server') });
  user = await logIn(server.url);
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** The documents the server's history holds, replayed from what it serves a new client. */
async function serverDocuments(partition: string): Promise<DocumentSet> {
  const reader = await WireClient.connect(server.url);
  reader.send({ type: 'bind', session: 1, partition, token: user.accessToken });
  reader.send({ type: 'ident', session: 1, fileIdent: 'server-view' });
  // The state's documents (after a fold) and the tail's changesets, as a new client gets them.
  const docs = (await downloadEverything(reader)).set;
  reader.close();
  return docs;
}

describe('convergence (ARCHITECTURE.md, the data plane)', () => {
  it('every replica and the server hold identical documents once all is uploaded and downloaded', async () => {
    let steps = 0;
    let conflicts = 0;
    let compactions = 0;
    await fc.assert(
      fc.asyncProperty(schedule, async ([clients, plan]) => {
        const partition = `run-${++run}`;
        const dir = join(root, partition);
        const realms = Array.from({ length: clients }, (_, c) => RealmFile.open({ path: join(dir, `c${c}.realm`), durability: 'batched' }));
        const drivers = realms.map((realm) => new SyncDriver(realm, server.url, user.accessToken, partition));
        const connect = async (c: number) => {
          drivers[c] = new SyncDriver(realms[c]!, server.url, user.accessToken, partition);
          await drivers[c]!.connect();
        };
        try {
          await Promise.all(drivers.map((_, c) => connect(c)));
          const writers = new Map<string, Set<number>>();
          for (const s of plan) {
            steps++;
            if (s.kind === 'compact') {
              // The partition's tail folded into its state: later readers get documents, not changesets.
              await server.compactPartition(partition);
              compactions++;
              continue;
            }
            const driver = drivers[s.client]!;
            if (s.kind === 'put' || s.kind === 'delete') {
              const key = s.id;
              writers.set(key, (writers.get(key) ?? new Set()).add(s.client));
            }
            if (s.kind === 'put') realms[s.client]!.write((tx) => tx.put('Doc', s.id, { [s.field]: s.value }));
            else if (s.kind === 'delete') realms[s.client]!.write((tx) => tx.delete('Doc', s.id));
            else if (s.kind === 'upload') driver.upload();
            else if (s.kind === 'disconnect') driver.drop();
            else if (!driver.connected) await connect(s.client);
            await new Promise((resolve) => setImmediate(resolve));
          }
          conflicts += [...writers.values()].filter((w) => w.size > 1).length;
          for (let c = 0; c < clients; c++) if (!drivers[c]!.connected) await connect(c);
          // Upload everything first, then one more round: each MARK then follows every upload.
          for (const driver of drivers) await driver.syncAll();
          for (const driver of drivers) await driver.syncAll();
          const expected = (await serverDocuments(partition)).list('Doc');
          for (const realm of realms) expect(realm.objects('Doc')).toEqual(expected);
        } finally {
          drivers.forEach((d) => d.close());
          realms.forEach((r) => r.close());
        }
      }),
      { numRuns, seed },
    );
    console.log(`convergence: ${numRuns} runs, seed ${seed}, ${steps} steps, ${conflicts} documents written by more than one client, ${compactions} compactions`);
    expect(conflicts).toBeGreaterThan(0);
    expect(compactions).toBeGreaterThan(0);
  }, 300_000);
});
