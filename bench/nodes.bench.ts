/**
 * Issue 14's figures: the server as several processes (nodes) on one PostgreSQL database. The
 * benchmark starts its own cluster (PostgreSQL's defaults: fsync on, synchronous_commit on, so
 * an acknowledged upload's transaction is fsynced to the WAL before the node acknowledges it),
 * one database per phase, every node a server child of its own (`spawnServer({ postgres })`),
 * the clients in this process; the cluster is stopped at the end, failed or not. Without
 * PostgreSQL the benchmark says so in one line and is skipped.
 *
 * 1. Fan-out A → B: A writes one put, timed until B's realm has it (one sample at a time), A
 *    and B on different nodes against both on the same node: the ratio is what crossing nodes
 *    costs (the writer's node notifies, the other refreshes the partition from the database and
 *    downloads). The file backend, one process, beside them.
 * 2. Throughput: acknowledged uploads per second, 100 partitions each with a realm looping
 *    write + waitForUpload, the realms on 20 clients (Apps) spread over 1, 2 and 3 nodes, and
 *    on the file backend (one process, `full`) as the baseline. All on this machine's 2 cores.
 * 3. The cost of the database per acknowledged upload: one client's write + waitForUpload
 *    latency on PostgreSQL against the file backend (`full`), with each side's server CPU per
 *    upload, the cluster's CPU, write transactions (each one WAL fsync) and WAL bytes per upload.
 */
import { availableParallelism, loadavg } from 'node:os';
import { POSTGRES } from '../test/support/system-component.js';
import { startPostgresCluster, type PostgresCluster } from '../test/support/postgres-cluster.js';
import { createDatabase } from '../test/support/pg-pool.js';
import type { Realm } from '../src/index.js';
import { measure, now, quantile, scaled, withTimeout, RUNS, SCALE, type Benchmark, type BenchReport, type Row, type RunFn, type Stats, type SubjectResult } from './harness.js';
import { newClient, type Client } from './client.js';
import { spawnServer, type ServerChild } from './server-child.js';
import { openPostgresProbe, perUpload, type PostgresProbe } from './postgres-probe.js';

const FANOUT_SAMPLES = scaled(1_000, 30);
/** The 100 partitions, whatever the scale: the load's spread is the point. */
const PARTITIONS = 100;
const CLIENT_APPS = 20;
const UPLOADS_PER_PARTITION = scaled(30, 5);
const COST_UPLOADS = scaled(1_000, 50);
const WAIT_MS = 30_000;

const latency = (samples: readonly number[]) => ({ median: quantile(samples, 0.5), p99: quantile(samples, 0.99) });

async function startNodes(count: number, postgres: string): Promise<ServerChild[]> {
  return Promise.all(Array.from({ length: count }, () => spawnServer({ postgres })));
}

async function closeAll(servers: readonly ServerChild[]): Promise<void> {
  await Promise.all(servers.map((s) => s.close()));
}

/** CPU ms of `servers` together (their `process.cpuUsage()`), now. */
async function serversCpuMs(servers: readonly ServerChild[]): Promise<number> {
  const all = await Promise.all(servers.map((s) => s.cpu()));
  return all.reduce((sum, c) => sum + (c.user + c.system) / 1000, 0);
}

const ownCpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** Writes one put and waits until it is uploaded: what every loop of phases 2 and 3 repeats. */
async function uploadOne(realm: Realm, n: number): Promise<void> {
  realm.write((tx) => tx.put('Task', `t${n % 50}`, { title: `task ${n}`, done: n % 2 === 0 }));
  await realm.syncSession!.waitForUpload(AbortSignal.timeout(WAIT_MS));
}

/** Figure 1: A on `writer`, B on `reader`, one put at a time until B has it. */
function fanout(label: string, writer: () => ServerChild, reader: () => ServerChild): RunFn {
  return async (run) => {
    const a = await newClient(writer().url, `nodes-fanout-a-${label}-${run}`);
    const b = await newClient(reader().url, `nodes-fanout-b-${label}-${run}`);
    try {
      const partition = `fanout-${label}-${run}`;
      const ra = await a.open(partition);
      const rb = await b.open(partition);
      let waiting: { id: string; resolve(): void } | undefined;
      rb.addListener(({ changed, origin }) => {
        if (origin !== 'remote' || waiting === undefined) return;
        const { id, resolve } = waiting;
        if (changed.some((k) => k.id === id)) {
          waiting = undefined;
          resolve();
        }
      });
      const sample = async (id: string): Promise<number> => {
        const seen = new Promise<void>((resolve) => (waiting = { id, resolve }));
        const start = now();
        ra.write((tx) => tx.put('Task', id, { title: id, done: false }));
        await withTimeout(seen, WAIT_MS, `B sees ${id}`);
        return now() - start;
      };
      // The partition's first changeset creates it on the server: not what is measured.
      await sample('prime');
      const samples: number[] = [];
      for (let i = 0; i < FANOUT_SAMPLES; i++) samples.push(await sample(`s${i}`));
      ra.close();
      rb.close();
      return latency(samples);
    } finally {
      a.close();
      b.close();
    }
  };
}

/** Figure 2: 100 realms on 20 clients spread over `servers`, each looping write + waitForUpload. */
function throughput(label: string, servers: () => readonly ServerChild[], probe: PostgresProbe | undefined): RunFn {
  return async (run) => {
    const nodes = servers();
    // Client durability `batched`: the 100 realms' local commits share fsyncs, so what the
    // 2 cores spend goes to the servers rather than to this process's own disk waits.
    const apps: Client[] = await Promise.all(
      Array.from({ length: CLIENT_APPS }, (_, i) => newClient(nodes[i % nodes.length]!.url, `nodes-tp-${label}-${run}-${i}`, 'batched')),
    );
    try {
      const realms = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => apps[p % CLIENT_APPS]!.open(`tp-${label}-${run}-${p}`)));
      // Each partition's first changeset creates it: done before the clock starts.
      await Promise.all(realms.map((r, p) => uploadOne(r, p)));
      const cpuBefore = await serversCpuMs(nodes);
      const pgBefore = await probe?.read();
      const clientBefore = ownCpuMs();
      const latencies: number[] = [];
      const start = now();
      await Promise.all(
        realms.map(async (realm, p) => {
          for (let i = 0; i < UPLOADS_PER_PARTITION; i++) {
            const t = now();
            await uploadOne(realm, p * UPLOADS_PER_PARTITION + i);
            latencies.push(now() - t);
          }
        }),
      );
      const elapsed = now() - start;
      const clientCpu = ownCpuMs() - clientBefore;
      const pgAfter = await probe?.read();
      const cpuAfter = await serversCpuMs(nodes);
      const uploads = PARTITIONS * UPLOADS_PER_PARTITION;
      for (const r of realms) r.close();
      return {
        uploadsPerSec: (uploads * 1000) / elapsed,
        latencyMedianMs: quantile(latencies, 0.5),
        serverCpuMsPerUpload: (cpuAfter - cpuBefore) / uploads,
        clientCpuMsPerUpload: clientCpu / uploads,
        ...(pgBefore !== undefined && pgAfter !== undefined ? perUpload(pgBefore, pgAfter, uploads) : {}),
      };
    } finally {
      for (const app of apps) app.close();
    }
  };
}

/** Figure 3: one client, one write + waitForUpload at a time, on `server`. */
function cost(label: string, server: () => ServerChild, probe: PostgresProbe | undefined): RunFn {
  return async (run) => {
    const client = await newClient(server().url, `nodes-cost-${label}-${run}`);
    try {
      const realm = await client.open(`cost-${label}-${run}`);
      await uploadOne(realm, 0);
      const cpuBefore = await serversCpuMs([server()]);
      const pgBefore = await probe?.read();
      const samples: number[] = [];
      for (let i = 0; i < COST_UPLOADS; i++) {
        const t = now();
        await uploadOne(realm, i);
        samples.push(now() - t);
      }
      const pgAfter = await probe?.read();
      const cpuAfter = await serversCpuMs([server()]);
      realm.close();
      return {
        ...latency(samples),
        serverCpuMsPerUpload: (cpuAfter - cpuBefore) / COST_UPLOADS,
        ...(pgBefore !== undefined && pgAfter !== undefined ? perUpload(pgBefore, pgAfter, COST_UPLOADS) : {}),
      };
    } finally {
      client.close();
    }
  };
}

/** A row of `value` against `baseline`, ratio value / baseline (for uploads/s, higher is better; for ms, lower). */
function ratioRow(metric: string, unit: string, value: Stats, baselineName: string, baseline: Stats): Row {
  return { metric, unit, value, baselineName, baseline, ratio: value.median / baseline.median };
}

/** Runs `phase` with `servers` started for it, closing them after, failed or not. */
async function withServers<T>(start: () => Promise<ServerChild[]>, phase: (servers: ServerChild[]) => Promise<T>): Promise<T> {
  const servers: ServerChild[] = [];
  try {
    servers.push(...(await start()));
    return await phase(servers);
  } finally {
    await closeAll(servers);
  }
}

export const nodes: Benchmark = {
  name: 'nodes',
  title: 'several server nodes on one PostgreSQL database: cross-node fan-out, upload throughput on 1–3 nodes, the cost per upload',
  async run(): Promise<BenchReport> {
    const located = POSTGRES.locate();
    const sizes = { fanoutSamples: FANOUT_SAMPLES, partitions: PARTITIONS, clients: CLIENT_APPS, uploadsPerPartition: UPLOADS_PER_PARTITION, costUploads: COST_UPLOADS };
    if (!located.found) {
      const reason = `PostgreSQL not found at ${located.lookedAt} (${POSTGRES.install})`;
      process.stderr.write(`# nodes: skipped, ${reason}\n`);
      return { benchmark: 'nodes', title: this.title, scale: SCALE, runs: RUNS, sizes, subjects: {}, rows: [], skipped: reason };
    }
    // Other work on the machine moves these figures: its load is reported with them.
    const loadAtStart = loadavg()[0]!;
    const cluster: PostgresCluster = await startPostgresCluster(located.path);
    // A benchmark process that exits some other way (run.ts's timeout is SIGKILL, which nothing
    // survives) still stops its cluster: pg_ctl's server is not this process's child.
    const stopAtExit = (): void => cluster.stop();
    process.once('exit', stopAtExit);
    const probes: PostgresProbe[] = [];
    try {
      const database = async (prefix: string) => {
        const { url } = await createDatabase(cluster.url, prefix);
        const probe = await openPostgresProbe(url);
        probes.push(probe);
        return { url, probe };
      };
      const subjects: Record<string, SubjectResult> = {};
      const rows: Row[] = [];

      // 3. The cost per upload, one client, first: the cluster fresh, nothing else running.
      process.stderr.write('  phase 3: write + waitForUpload, one client, PostgreSQL vs file\n');
      const costDb = await database('bench_cost');
      const costResults = await withServers(
        async () => [await spawnServer({ postgres: costDb.url }), await spawnServer({ durability: 'full' })],
        ([pg, file]) => measure({ costPostgres: cost('pg', () => pg!, costDb.probe), costFile: cost('file', () => file!, undefined) }),
      );
      Object.assign(subjects, costResults);
      const costPg = costResults.costPostgres!.metrics;
      const costFile = costResults.costFile!.metrics;
      rows.push(
        ratioRow('write + waitForUpload, one client, median (PostgreSQL node)', 'ms', costPg.median!, "file backend 'full'", costFile.median!),
        ratioRow('same, p99', 'ms', costPg.p99!, "file backend 'full'", costFile.p99!),
        ratioRow('server CPU per upload (PostgreSQL node)', 'ms', costPg.serverCpuMsPerUpload!, "file server 'full'", costFile.serverCpuMsPerUpload!),
        { metric: 'PostgreSQL CPU per upload (all its processes)', unit: 'ms', value: costPg.pgCpuMs! },
        { metric: 'write transactions (WAL fsyncs) per upload', unit: 'count', value: costPg.writeTransactions! },
        { metric: 'WAL per upload', unit: 'bytes', value: costPg.walBytes! },
      );

      // 1. Fan-out A → B: two nodes on one database; the file server for comparison.
      process.stderr.write('  phase 1: fan-out A → B, different nodes vs the same node\n');
      const fanDb = await database('bench_fanout');
      const fanResults = await withServers(
        async () => [...(await startNodes(2, fanDb.url)), await spawnServer({ durability: 'full' })],
        ([n1, n2, file]) =>
          measure({
            fanoutCrossNode: fanout('cross', () => n1!, () => n2!),
            fanoutSameNode: fanout('same', () => n1!, () => n1!),
            fanoutFile: fanout('file', () => file!, () => file!),
          }),
      );
      Object.assign(subjects, fanResults);
      const cross = fanResults.fanoutCrossNode!.metrics;
      const same = fanResults.fanoutSameNode!.metrics;
      const file = fanResults.fanoutFile!.metrics;
      rows.push(
        ratioRow('fan-out A → B, A and B on different nodes, median', 'ms', cross.median!, 'same node (PostgreSQL)', same.median!),
        ratioRow('same, p99', 'ms', cross.p99!, 'same node (PostgreSQL)', same.p99!),
        ratioRow('fan-out A → B, same node (PostgreSQL), median', 'ms', same.median!, "file backend 'full'", file.median!),
        ratioRow('same, p99', 'ms', same.p99!, "file backend 'full'", file.p99!),
      );

      // 2. Throughput over 100 partitions: 1, 2, 3 nodes (a database each), the file backend.
      process.stderr.write(`  phase 2: uploads/s over ${PARTITIONS} partitions, 1–3 nodes vs the file backend\n`);
      const dbs = [await database('bench_tp_one'), await database('bench_tp_two'), await database('bench_tp_three')];
      const tpResults = await withServers(
        async () => [...(await startNodes(1, dbs[0]!.url)), ...(await startNodes(2, dbs[1]!.url)), ...(await startNodes(3, dbs[2]!.url)), await spawnServer({ durability: 'full' })],
        (all) =>
          measure({
            throughputOneNode: throughput('n1', () => all.slice(0, 1), dbs[0]!.probe),
            throughputTwoNodes: throughput('n2', () => all.slice(1, 3), dbs[1]!.probe),
            throughputThreeNodes: throughput('n3', () => all.slice(3, 6), dbs[2]!.probe),
            throughputFile: throughput('file', () => all.slice(6, 7), undefined),
          }),
      );
      Object.assign(subjects, tpResults);
      const tp = (name: string) => tpResults[name]!.metrics;
      const fileTp = tp('throughputFile').uploadsPerSec!;
      const one = tp('throughputOneNode').uploadsPerSec!;
      rows.push(
        ratioRow('uploads/s, 100 partitions, 1 node', 'uploads/s', one, "file backend 'full', 1 process", fileTp),
        ratioRow('uploads/s, 2 nodes', 'uploads/s', tp('throughputTwoNodes').uploadsPerSec!, '1 node', one),
        ratioRow('uploads/s, 3 nodes', 'uploads/s', tp('throughputThreeNodes').uploadsPerSec!, '1 node', one),
        { metric: "uploads/s, file backend 'full' (the baseline)", unit: 'uploads/s', value: fileTp },
      );
      for (const [name, label] of [['throughputOneNode', '1 node'], ['throughputTwoNodes', '2 nodes'], ['throughputThreeNodes', '3 nodes'], ['throughputFile', 'file']] as const) {
        const m = tp(name);
        rows.push({ metric: `under load (${label}): upload latency median`, unit: 'ms', value: m.latencyMedianMs! });
        rows.push({ metric: `under load (${label}): server CPU per upload (all nodes)`, unit: 'ms', value: m.serverCpuMsPerUpload! });
        rows.push({ metric: `under load (${label}): client CPU per upload`, unit: 'ms', value: m.clientCpuMsPerUpload! });
        if (m.pgCpuMs !== undefined) {
          rows.push({ metric: `under load (${label}): PostgreSQL CPU per upload`, unit: 'ms', value: m.pgCpuMs });
          rows.push({ metric: `under load (${label}): write transactions per upload`, unit: 'count', value: m.writeTransactions! });
        }
      }
      return {
        benchmark: 'nodes',
        title: this.title,
        scale: SCALE,
        runs: RUNS,
        sizes: { ...sizes, cores: availableParallelism(), loadAverage1mAtStart: loadAtStart, loadAverage1mAtEnd: loadavg()[0]!, clientDurability: 'full (phases 1, 3), batched (phase 2)', fileServerDurability: 'full', postgres: 'fsync on, synchronous_commit on (defaults)', pollIntervalMs: 'default (1 s)' },
        subjects,
        rows,
        notes: [
          'one 2-core machine for everything: the nodes, PostgreSQL, the file server and the clients (this process) share its cores, so more nodes add processes, not cores',
          'PostgreSQL: synchronous_commit on, each acknowledged upload a committed transaction fsynced to the WAL; a write transaction is one WAL flush unless concurrent commits share it',
          'PostgreSQL CPU is every process of the cluster from /proc (the probe connection and idle nodes of other subjects included, both small); write transactions from the transaction-id counter, so read-only ones are not counted',
        ],
      };
    } finally {
      for (const probe of probes) await probe.close().catch(() => undefined);
      cluster.stop();
      process.removeListener('exit', stopAtExit);
    }
  },
};
