/**
 * SIGKILL a node while its clients upload: three server processes on one PostgreSQL database,
 * clients spread over them (each app given all three URLs, starting at a different one), every
 * client writing and waiting for each upload. Each round kills one node at a random instant of
 * the writing and starts it again on its port. Afterwards nothing a client saw acknowledged is
 * lost, nothing is stored twice (each document's one put is in one changeset), no client was
 * reset, and every client holds every document. Real processes, real sockets, real
 * PostgreSQL; skipped with one line without it, mandatory under CI=true.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { NodeClient } from '../support/postgres-nodes.js';
import { PostgresNodes } from '../support/postgres-nodes.js';
import { NodeProcesses } from '../support/node-processes.js';
import { createDatabase } from '../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { startServerProcess } from '../support/server-process.js';
import { seededUniform } from '../support/seeded-random.js';
import { POSTGRES, requiring } from '../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the node-kill tests');
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const ROUNDS = Number(process.env.NODE_KILL_ROUNDS ?? 6);
const CLIENTS = 6;
const WRITES_PER_ROUND = 8;
const TIMEOUT = 60_000;
const POLL_MS = 200;

let cluster: PostgresCluster | undefined;
let processes: NodeProcesses | undefined;
let apps: PostgresNodes | undefined;

pgAvailable.describe('SIGKILL a node while its clients upload', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
  }, 120_000);
  afterEach(async () => {
    await apps?.close();
    await processes?.stop();
  });
  afterAll(() => cluster?.stop());

  pgAvailable.it(`${ROUNDS} rounds, ${CLIENTS} clients over 3 nodes: nothing acknowledged lost, nothing stored twice, no client reset`, async () => {
    const random = seededUniform(seed);
    const { url } = await createDatabase(cluster!.url, 'nodekill');
    processes = new NodeProcesses(url);
    const nodes = await processes.start(3, { pollIntervalMs: POLL_MS });
    const urls = nodes.map((n) => n.url);
    apps = new PostgresNodes(url);
    const clients: NodeClient[] = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await apps.client([0, 1, 2].map((k) => urls[(i + k) % 3]!), 'p'));
    const acknowledged = new Set<string>();
    let kills = 0;
    /** The victim of the round while it is down (between its kill and its restart listening). */
    let down: number | undefined;
    /** Writes of clients whose first node was down, acknowledged while it was: through another node. */
    let movedAcks = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const victim = round % 3;
      const killAfterMs = Math.floor(random() * 400);
      const writing = clients.map(async (client, i) => {
        for (let w = 0; w < WRITES_PER_ROUND; w++) {
          const id = `r${round}-c${i}-w${w}`;
          client.realm.write((tx) => tx.put('Task', id, { round, client: i, w }));
          await client.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
          acknowledged.add(id);
          if (down === i % 3) movedAcks++;
        }
      });
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      const dead = processes.nodes.find((n) => n.url === urls[victim])!;
      await dead.kill();
      down = victim;
      kills++;
      processes.nodes.splice(processes.nodes.indexOf(dead), 1);
      // Back on its port, so the clients' lists hold it again; meanwhile they use the others.
      const again = await startServerProcess(url, dead.port, { pollIntervalMs: POLL_MS });
      processes.nodes.push(again);
      down = undefined;
      await Promise.all(writing);
    }
    await Promise.all(clients.map((c) => c.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT))));
    await Promise.all(clients.map((c) => c.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT))));

    const expected = ROUNDS * CLIENTS * WRITES_PER_ROUND;
    expect(acknowledged.size).toBe(expected);
    const ids = (client: NodeClient) => client.realm.objects('Task').map((o) => o.id).sort();
    for (const client of clients) expect(ids(client)).toEqual([...acknowledged].sort());
    // A new client, on any node, downloads every acknowledged document.
    const late = await apps.client(urls[2]!, 'p');
    await late.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT));
    expect(ids(late)).toEqual([...acknowledged].sort());
    // Stored once: each document was put once, so it is in exactly one stored changeset.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query<{ id: string; n: string }>(
        `select op->>'id' as id, count(*) as n from sync_changesets, jsonb_array_elements(json::jsonb->'ops') as op group by 1 having count(*) > 1`,
      );
      expect(rows).toEqual([]);
      const { rows: stored } = await db.query<{ n: string }>('select count(*) as n from sync_changesets');
      const { rows: folded } = await db.query<{ n: string }>('select count(*) as n from sync_documents');
      // Nothing folded here (the tail is far below the fold threshold): every put is in the tail.
      expect(Number(folded[0]!.n)).toBe(0);
      expect(Number(stored[0]!.n)).toBe(expected);
    } finally {
      await db.end();
    }
    const errors = clients.flatMap((c) => c.errors);
    expect(errors.filter((e) => e.category === 'clientReset' || e.isFatal)).toEqual([]);
    expect(processes.died()).toEqual([]);
    // The killed nodes' clients went on through the others while theirs was down.
    expect(movedAcks).toBeGreaterThan(0);
    console.log(
      `node-kill (seed ${seed}): ${ROUNDS} rounds, ${kills} SIGKILLs, ${CLIENTS} clients, ${acknowledged.size} writes acknowledged and each stored once, ` +
        `${movedAcks} of them by a killed node's clients while it was down; ` +
        `client errors: ${errors.length} (${[...new Set(errors.map((e) => e.code ?? e.category))].join(', ') || 'none'})`,
    );
  }, 300_000);
});
