/**
 * The PostgreSQL backend's `refresh()` (called on every cross-node notification) on a partition
 * whose tail holds 10,000 changesets: what one refresh costs after another node appended one
 * changeset, and after nothing changed. Node A writes, node B (a store on a pool of its own, on
 * the same database) refreshes. No target: the numbers are compared across versions of the code.
 */
import type { Changeset } from '../src/protocol/changeset.codec.js';
import { openPostgresPartitionStore, type PostgresPartitionStore } from '../src/server/storage/postgres/index.js';
import { silentLogger } from '../src/store/logger.js';
import { createDatabase, openPool } from '../test/support/pg-pool.js';
import { startPostgresCluster } from '../test/support/postgres-cluster.js';
import { POSTGRES } from '../test/support/system-component.js';
import { measure, now, scaled, RUNS, SCALE, type Benchmark, type BenchReport } from './harness.js';

const TAIL = scaled(10_000, 100);
/** Refreshes timed per run (the median of a run is reported). */
const REFRESHES = 20;

const put = (clientVersion: number): Changeset => ({
  clientVersion,
  origin: 'writer',
  hlc: { wall: 1_000 + clientVersion, counter: 0 },
  ops: [{ op: 'put', type: 'Task', id: `t${clientVersion % 500}`, fields: { title: `task number ${clientVersion}`, n: clientVersion } }],
});

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

export const postgresRefresh: Benchmark = {
  name: 'postgres-refresh',
  title: `PostgreSQL refresh() of a partition with a ${TAIL}-changeset tail, after another node appended 1 changeset`,
  async run(): Promise<BenchReport> {
    const located = POSTGRES.locate();
    if (!located.found) throw new Error(`PostgreSQL not found (looked at ${located.lookedAt})`);
    const cluster = await startPostgresCluster(located.path);
    const pools = [] as Array<ReturnType<typeof openPool>>;
    const stores: PostgresPartitionStore[] = [];
    try {
      const { url } = await createDatabase(cluster.url, 'bench_refresh');
      pools.push(openPool(url, 4), openPool(url, 4));
      // No background folds: the tail stays whole.
      const options = { logger: silentLogger, now: () => 0, foldPolicy: { minTailBytes: Number.POSITIVE_INFINITY, tailFraction: Number.POSITIVE_INFINITY } };
      for (const pool of pools) stores.push(await openPostgresPartitionStore(pool, options));
      const [a, b] = await Promise.all(stores.map((s) => s.acquire('p')));
      if (a === undefined || b === undefined) throw new Error('no handles');
      let next = 1;
      for (; next <= TAIL; next += 1000) await a.append('writer', 'u', Array.from({ length: Math.min(1000, TAIL - next + 1) }, (_, i) => put(next + i)), 0);
      next = TAIL + 1;
      await b.refresh();
      const subjects = await measure({
        afterOneAppend: async () => {
          const ms: number[] = [];
          for (let i = 0; i < REFRESHES; i++) {
            await a.append('writer', 'u', [put(next++)], 0);
            const start = now();
            await b.refresh();
            ms.push(now() - start);
          }
          if (b.latest !== next - 1) throw new Error(`b is at ${b.latest}, a wrote ${next - 1}`);
          return { ms: median(ms) };
        },
        nothingNew: async () => {
          const ms: number[] = [];
          for (let i = 0; i < REFRESHES; i++) {
            const start = now();
            await b.refresh();
            ms.push(now() - start);
          }
          return { ms: median(ms) };
        },
      });
      return {
        benchmark: 'postgres-refresh',
        title: this.title,
        scale: SCALE,
        runs: RUNS,
        sizes: { tail: TAIL, refreshesPerRun: REFRESHES },
        subjects,
        rows: [
          { metric: 'refresh after 1 append', unit: 'ms', value: subjects.afterOneAppend!.metrics.ms! },
          { metric: 'refresh, nothing new', unit: 'ms', value: subjects.nothingNew!.metrics.ms! },
        ],
      };
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await Promise.all(pools.map((p) => p.end()));
      cluster.stop();
    }
  },
};
