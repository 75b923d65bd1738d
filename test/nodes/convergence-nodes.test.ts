/**
 * The convergence property (test/server/convergence.test.ts) over three server processes on one
 * PostgreSQL database: each client of a partition is bound to one node the schedule picks, and
 * may move to another (its file then resumes on a node that did not take its earlier uploads).
 * Once all is uploaded, every replica and every node's view of the partition hold the same
 * documents, and the history holds each acknowledged changeset exactly once (in the database's
 * rows and in what a new client downloads). Skipped with one line without PostgreSQL,
 * mandatory under CI=true.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ServerChangeset } from '../../src/protocol/index.js';
import type { VisibleObject } from '../../src/store/document-set.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { NodeProcesses } from '../support/node-processes.js';
import { createDatabase, openPool, rowsOf } from '../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { replicaSteps, type ReplicaStep } from '../support/replica-steps.js';
import { SyncDriver } from '../support/sync-driver.js';
import { POSTGRES, requiring } from '../support/system-component.js';
import { downloadEverything } from '../support/wire-download.js';
import { logIn, WireClient, type Login } from '../support/wire-client.js';

const pgAvailable = requiring(POSTGRES, 'the several-node convergence tests');
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_CONVERGENCE_RUNS ?? 200);
const NODES = 3;
/** How long the replicas get to hear the last commits once everything is acknowledged. */
const SETTLE_MS = 15_000;

type Step = ReplicaStep | { kind: 'move'; client: number; by: 1 | 2 };

const step = (clients: number): fc.Arbitrary<Step> =>
  fc.oneof<Array<fc.WeightedArbitrary<Step>>>(...replicaSteps(clients), {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('move' as const), client: fc.nat(clients - 1), by: fc.constantFrom(1 as const, 2 as const) }),
  });
/** How many clients, the node each starts on, and the steps. */
const schedule = fc
  .integer({ min: 2, max: 5 })
  .chain((clients) => fc.tuple(fc.array(fc.nat(NODES - 1), { minLength: clients, maxLength: clients }), fc.array(step(clients), { minLength: 5, maxLength: 40, size: 'large' })));

let cluster: PostgresCluster | undefined;
let nodes: NodeProcesses | undefined;
let pool: pg.Pool | undefined;
let urls: string[] = [];
let root: string;
let user: Login;
let run = 0;

/** What a new client bound on `url` downloads of `partition`: its documents and changesets. */
async function nodeView(url: string, partition: string): Promise<{ docs: ReadonlyArray<VisibleObject>; changesets: ServerChangeset[] }> {
  const reader = await WireClient.connect(url);
  try {
    reader.send({ type: 'bind', session: 1, partition, token: user.accessToken });
    reader.send({ type: 'ident', session: 1, fileIdent: `view-${partition}` });
    const { set, changesets } = await downloadEverything(reader);
    return { docs: set.list('Doc'), changesets };
  } finally {
    reader.close();
  }
}

/** `origin#clientVersion` of each changeset, sorted: duplicates stay in. */
const keysOf = (changesets: ReadonlyArray<{ origin: string; clientVersion: number }>): string[] => changesets.map((c) => `${c.origin}#${c.clientVersion}`).sort();

pgAvailable.describe('convergence over three node processes on one database', () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'convergence-nodes-'));
    cluster = await startPostgresCluster(pgAvailable.path!);
    const { url } = await createDatabase(cluster.url, 'convergence');
    pool = openPool(url);
    nodes = new NodeProcesses(url);
    // A short poll: a lost notification costs the settle wait little (delivery is by notification).
    urls = (await nodes.start(NODES, { pollIntervalMs: 250 })).map((n) => n.url);
    user = await logIn(urls[0]!);
  }, 120_000);
  afterAll(async () => {
    await nodes?.stop();
    await pool?.end();
    cluster?.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  pgAvailable.it('every replica and every node hold the same documents, and each acknowledged changeset once', async () => {
    let steps = 0;
    let moves = 0;
    let conflicts = 0;
    let changesetsChecked = 0;
    const nodesUsed = new Set<number>();
    await fc.assert(
      fc.asyncProperty(schedule, async ([startNodes, plan]) => {
        const clients = startNodes.length;
        const partition = `run-${seed}-${++run}`;
        const dir = join(root, partition);
        const at = [...startNodes];
        const realms = Array.from({ length: clients }, (_, c) => RealmFile.open({ path: join(dir, `c${c}.realm`), durability: 'batched' }));
        const drivers: SyncDriver[] = [];
        // Every changeset a client sent: each was sent while pending (not yet acknowledged).
        const sent = new Map<string, { origin: string; clientVersion: number }>();
        const noteSent = (c: number) => {
          for (const cs of realms[c]!.pendingChangesets(0)) sent.set(`${cs.origin}#${cs.clientVersion}`, cs);
        };
        const errors: unknown[] = [];
        const connect = async (c: number) => {
          if (drivers[c] !== undefined) errors.push(...drivers[c]!.errors);
          drivers[c]?.close();
          drivers[c] = new SyncDriver(realms[c]!, urls[at[c]!]!, user.accessToken, partition);
          nodesUsed.add(at[c]!);
          await drivers[c]!.connect();
        };
        try {
          await Promise.all(realms.map((_, c) => connect(c)));
          const writers = new Map<string, Set<number>>();
          for (const s of plan) {
            steps++;
            const driver = drivers[s.client]!;
            if (s.kind === 'put' || s.kind === 'delete') writers.set(s.id, (writers.get(s.id) ?? new Set()).add(s.client));
            if (s.kind === 'put') realms[s.client]!.write((tx) => tx.put('Doc', s.id, { [s.field]: s.value }));
            else if (s.kind === 'delete') realms[s.client]!.write((tx) => tx.delete('Doc', s.id));
            else if (s.kind === 'upload') {
              noteSent(s.client);
              driver.upload();
            } else if (s.kind === 'disconnect') driver.drop();
            else if (s.kind === 'reconnect') {
              if (!driver.connected) await connect(s.client);
            } else {
              // Cut as a network failure would, uploads perhaps in flight, and resumed elsewhere.
              driver.drop();
              at[s.client] = (at[s.client]! + s.by) % NODES;
              moves++;
              await connect(s.client);
            }
            await new Promise((resolve) => setImmediate(resolve));
          }
          conflicts += [...writers.values()].filter((w) => w.size > 1).length;
          for (let c = 0; c < clients; c++) if (!drivers[c]!.connected) await connect(c);
          for (let c = 0; c < clients; c++) noteSent(c);
          // Everything uploaded and acknowledged (each ack after the append committed).
          await Promise.all(drivers.map((d) => d.syncAll()));
          // The other nodes hear of the last commits by notification (or poll): a bounded wait
          // until every node's view and every replica agree.
          const deadline = Date.now() + SETTLE_MS;
          let views = await Promise.all(urls.map((url) => nodeView(url, partition)));
          const agreed = () =>
            views.every((v) => keysOf(v.changesets).length === sent.size) &&
            views.every((v) => isDeepStrictEqual(v.docs, views[0]!.docs)) &&
            realms.every((r) => isDeepStrictEqual(r.objects('Doc'), views[0]!.docs));
          while (!agreed() && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            views = await Promise.all(urls.map((url) => nodeView(url, partition)));
          }
          // Errors first: one heard while settling (a reset) explains a replica that differs.
          expect([...errors, ...drivers.flatMap((d) => d.errors)]).toEqual([]);
          const expected = views[0]!.docs;
          for (const v of views) expect(v.docs).toEqual(expected);
          for (const realm of realms) expect(realm.objects('Doc')).toEqual(expected);
          // Exactly once: the rows, and what each node serves a new client, are what was sent.
          const want = [...sent.keys()].sort();
          const rows = await rowsOf<{ origin: string; client_version: string }>(pool!, 'select origin, client_version from sync_changesets where partition = $1', [partition]);
          expect(keysOf(rows.map((r) => ({ origin: r.origin, clientVersion: Number(r.client_version) })))).toEqual(want);
          for (const v of views) expect(keysOf(v.changesets)).toEqual(want);
          changesetsChecked += want.length;
        } finally {
          // Cut, not closed: a frame arriving after the realm closed would find it closed.
          drivers.forEach((d) => d.drop());
          realms.forEach((r) => r.close());
        }
      }),
      { numRuns, seed },
    );
    expect(nodes!.died()).toEqual([]);
    console.log(
      `convergence over ${NODES} node processes: ${numRuns} runs, seed ${seed}, ${steps} steps, ${moves} moves to another node, nodes used ${[...nodesUsed].sort().join(',')}, ` +
        `${conflicts} documents written by more than one client, ${changesetsChecked} acknowledged changesets each found once`,
    );
    expect(moves).toBeGreaterThan(0);
    expect(nodesUsed.size).toBe(NODES);
  }, 600_000);
});
