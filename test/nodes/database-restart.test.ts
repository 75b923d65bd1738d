/**
 * The database restarted under load: three node processes on one PostgreSQL database, real
 * clients spread over them writing and waiting for each upload, and the cluster stopped at once
 * (as a crash would) and started again, five times, mid-load. Afterwards every write a
 * client saw acknowledged is in the history exactly once, every client has every write, the
 * nodes still serve (a new client binds on each and downloads everything), and no node process
 * died. Skipped with one line without PostgreSQL, mandatory under CI=true.
 */
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Changeset } from '../../src/protocol/index.js';
import { eventually } from '../support/eventually.js';
import { NodeProcesses } from '../support/node-processes.js';
import { createDatabase, openPool, rowsOf } from '../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { PostgresNodes, type NodeClient } from '../support/postgres-nodes.js';
import { POSTGRES, requiring } from '../support/system-component.js';
import { downloadEverything } from '../support/wire-download.js';
import { logIn, WireClient } from '../support/wire-client.js';

const pgAvailable = requiring(POSTGRES, 'the database-restart tests');
const NODES = 3;
const CLIENTS = 6;
const RESTARTS = 5;
const PARTITION = 'load';
/** Acknowledgements (all clients together) awaited before the first restart and after each one. */
const ACKS_BETWEEN = 50;
/** Bounds each client's loop: the test stops it far earlier. */
const MAX_WRITES = 5_000;
/** A wait for one upload: the database is down for a moment, the nodes retry, the client too. */
const UPLOAD_WAIT_MS = 30_000;
const TIMEOUT = 60_000;

let cluster: PostgresCluster | undefined;
let nodes: NodeProcesses | undefined;
let apps: PostgresNodes | undefined;
let pool: pg.Pool | undefined;

/** What one client did: the ids whose upload it saw acknowledged, and why a wait failed. */
interface Load {
  readonly client: NodeClient;
  readonly acked: string[];
  readonly written: string[];
  readonly waitFailures: string[];
}

/** Writes one new Task at a time and waits for its upload, until `stop()`; a failed wait leaves it to the next. */
async function writeLoop(load: Load, name: string, stop: () => boolean): Promise<void> {
  const unacknowledged: string[] = [];
  for (let i = 0; i < MAX_WRITES && !stop(); i++) {
    const id = `${name}-${i}`;
    load.client.realm.write((tx) => tx.put('Task', id, { i, by: name }));
    load.written.push(id);
    unacknowledged.push(id);
    try {
      await load.client.realm.syncSession!.waitForUpload(AbortSignal.timeout(UPLOAD_WAIT_MS));
      // Everything written before the wait began is uploaded once it resolves.
      load.acked.push(...unacknowledged.splice(0));
    } catch (error) {
      load.waitFailures.push(String(error));
    }
  }
}

pgAvailable.describe('the database restarted under load', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
  }, 120_000);
  afterEach(async () => {
    await apps?.close();
    await nodes?.stop();
    await pool?.end();
    apps = undefined;
    nodes = undefined;
    pool = undefined;
  });
  afterAll(() => cluster?.stop());

  pgAvailable.it(
    'the nodes reconnect and nothing acknowledged is lost or stored twice; every client converges; the nodes still serve',
    async () => {
      const { url } = await createDatabase(cluster!.url, 'restart');
      pool = openPool(url);
      nodes = new NodeProcesses(url);
      const urls = (await nodes.start(NODES, { pollIntervalMs: 250 })).map((n) => n.url);
      apps = new PostgresNodes(url);
      const loads: Load[] = [];
      // Nothing here resets the partition: a client reset would be the nodes' doing.
      const resets: number[] = [];
      for (let c = 0; c < CLIENTS; c++) {
        const client = await apps.client(urls[c % NODES]!, PARTITION, { clientReset: { mode: 'recoverOrDiscard', onAfter: () => resets.push(c) } });
        loads.push({ client, acked: [], written: [], waitFailures: [] });
        if (c > 0) continue;
        // The partition written before the other nodes open it: this test is about restarts, and
        // a partition never written may still have one epoch per node (reset when first written).
        client.realm.write((tx) => tx.put('Task', 'seed', { by: 'c0' }));
        await client.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
        loads[0]!.written.push('seed');
        loads[0]!.acked.push('seed');
      }
      const acks = () => loads.reduce((n, l) => n + l.acked.length, 0);
      let stopping = false;
      const loops = loads.map((load, c) => writeLoop(load, `c${c}`, () => stopping));
      try {
        await eventually(() => acks() >= ACKS_BETWEEN, 'the first acknowledgements', TIMEOUT);
        for (let r = 0; r < RESTARTS; r++) {
          const before = acks();
          await cluster!.restartInBackground();
          // Uploads go on after the restart: the nodes are back on the database.
          await eventually(() => acks() >= before + ACKS_BETWEEN, `acknowledgements after restart ${r + 1}`, TIMEOUT);
        }
      } finally {
        stopping = true;
        await Promise.all(loops);
      }
      // Whatever a failed wait left is uploaded now.
      for (const [c, load] of loads.entries()) {
        await load.client.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT)).catch((error: unknown) => {
          const errors = load.client.errors.map((e) => `${e.code}: ${e.message}`);
          throw new Error(`client ${c}: the last upload wait failed (${String(error)}); its errors ${JSON.stringify(errors)}; its failed waits ${JSON.stringify(load.waitFailures)}`);
        });
      }
      const acked = loads.flatMap((l) => l.acked);
      const written = loads.flatMap((l) => l.written).sort();
      const errors = loads.flatMap((l) => l.client.errors);
      const codes = new Map<string, number>();
      for (const e of errors) codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      const failures = loads.flatMap((l) => l.waitFailures);
      // What the nodes went through, as they warned of it (`sync-session: MESSAGE {details}`).
      const warnings = new Map<string, number>();
      for (const node of nodes.nodes) {
        for (const line of node.output().split('\n')) {
          const message = /^sync-session: ([^{]*)/.exec(line)?.[1]?.trim();
          if (message !== undefined) warnings.set(message, (warnings.get(message) ?? 0) + 1);
        }
      }
      console.log(
        `database restart: ${NODES} node processes, ${CLIENTS} clients, ${RESTARTS} immediate restarts under load; ${acked.length} uploads acknowledged ` +
          `(${written.length} writes); client resets ${resets.length}; client errors ${JSON.stringify(Object.fromEntries(codes))}; ${failures.length} upload waits ran out ` +
          `${JSON.stringify([...new Set(failures)].slice(0, 3))}; node warnings ${JSON.stringify(Object.fromEntries(warnings))}`,
      );
      // A restart may cost a client its socket or an upload's retry, never its file.
      expect(errors.filter((e) => e.isFatal)).toEqual([]);
      expect(resets).toEqual([]);

      // Exactly once, in the history's rows: every write, and only those, each in one changeset.
      const [partition] = await rowsOf<{ epoch: string; state_version: string }>(pool, 'select epoch, state_version from sync_partitions where partition = $1', [PARTITION]);
      // Nothing folded (the tail is far below the fold's size): every changeset is still a row.
      expect(Number(partition!.state_version)).toBe(0);
      const rows = await rowsOf<{ epoch: string; json: string }>(pool, 'select epoch, json from sync_changesets where partition = $1 order by server_version', [PARTITION]);
      expect(new Set(rows.map((r) => r.epoch))).toEqual(new Set([partition!.epoch]));
      const putIds = (changesets: ReadonlyArray<Pick<Changeset, 'ops'>>) => changesets.flatMap((c) => c.ops.map((op) => op.id)).sort();
      const stored = putIds(rows.map((r) => JSON.parse(r.json) as Changeset));
      expect(stored).toEqual(written);
      expect(new Set(stored).size).toBe(stored.length);
      for (const id of acked) expect(stored).toContain(id);

      // Every client converges on every write.
      for (const [c, load] of loads.entries()) {
        await eventually(() => load.client.realm.objects('Task').length === written.length, `client ${c} has every write`, TIMEOUT);
      }
      // The nodes still serve: a new client on each binds and downloads every write, once.
      const reader = await logIn(urls[0]!);
      for (const nodeUrl of urls) {
        const fresh = await WireClient.connect(nodeUrl);
        try {
          fresh.send({ type: 'bind', session: 1, partition: PARTITION, token: reader.accessToken });
          fresh.send({ type: 'ident', session: 1, fileIdent: `fresh-${nodeUrl}` });
          expect(putIds((await downloadEverything(fresh, 1, 20_000)).changesets)).toEqual(written);
        } finally {
          fresh.close();
        }
      }
      expect(nodes.died()).toEqual([]);

    },
    300_000,
  );
});
