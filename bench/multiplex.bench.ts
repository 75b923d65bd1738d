/**
 * Benchmark 4: 10,000 sessions of one user multiplexed on one socket (one App, one user, one
 * partition per session, so one realm file per session; the server in another process). Per
 * run, a fresh user: `Realm.open` for every partition in a loop, then wait (bounded) until every
 * session's connection state is `connected` (the server's IDENT came back, i.e. bound). Figures:
 * time from the first open until all are bound, the part of it after the last open returned,
 * and heap per idle session (heapUsed after a forced GC, all bound and idle, minus before the
 * first open, divided by the sessions). Targets: all bound ≤ 2 s; ≤ 16 KB heap per session.
 */
import { measure, now, scaled, until, RUNS, SCALE, type Benchmark, type BenchReport } from './harness.js';
import { newClient } from './client.js';
import { spawnServer } from './server-child.js';
import type { Realm } from '../src/index.js';

/** The size, 10,000 (scaled); BENCH_MULTIPLEX_SESSIONS overrides it. */
const SESSIONS = process.env.BENCH_MULTIPLEX_SESSIONS !== undefined ? Number(process.env.BENCH_MULTIPLEX_SESSIONS) : scaled(10_000, 100);

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc (bench/run.ts does)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export const multiplex: Benchmark = {
  name: 'multiplex',
  title: `${SESSIONS} sessions of one user on one socket`,
  async run(): Promise<BenchReport> {
    const server = await spawnServer();
    let sockets = 0;
    try {
      const subjects = await measure({
        runtime: async (run) => {
          const client = await newClient(server.url, `multiplex-${run}`);
          try {
            const before = heapUsed();
            let connected = 0;
            const realms: Realm[] = [];
            const subs: Array<{ unsubscribe(): void }> = [];
            const start = now();
            for (let i = 0; i < SESSIONS; i++) {
              const realm = await client.open(`p${run}-${i}`, { connected: false });
              realms.push(realm);
              subs.push(
                realm.syncSession!.connectionStateChanges.subscribe(({ current }) => {
                  if (current === 'connected') connected++;
                }),
              );
            }
            const opened = now();
            await until(() => connected >= SESSIONS, 120_000, `${SESSIONS} sessions bound (${connected} so far)`, 2);
            const bound = now();
            for (const s of subs) s.unsubscribe();
            subs.length = 0;
            // Idle: let the last DOWNLOADs and progress reports settle.
            await new Promise((r) => setTimeout(r, 200));
            const after = heapUsed();
            sockets = new Set(realms.map((r) => (r.syncSession as unknown as { connection?: object }).connection)).size;
            for (const r of realms) r.close();
            return {
              allBoundMs: bound - start,
              openLoopMs: opened - start,
              boundAfterOpensMs: bound - opened,
              heapKBPerSession: (after - before) / 1024 / SESSIONS,
            };
          } finally {
            client.close();
          }
        },
      });
      const m = subjects.runtime!.metrics;
      const allBound = m.allBoundMs!;
      const heap = m.heapKBPerSession!;
      return {
        benchmark: 'multiplex',
        title: this.title,
        scale: SCALE,
        runs: RUNS,
        sizes: { sessions: SESSIONS, socketsUsed: sockets },
        subjects,
        rows: [
          { metric: 'all bound', unit: 'ms', value: allBound, target: '≤ 2000 ms', met: allBound.median <= 2000 },
          { metric: 'open loop (part of all bound)', unit: 'ms', value: m.openLoopMs! },
          { metric: 'bound after last open', unit: 'ms', value: m.boundAfterOpensMs! },
          { metric: 'heap per idle session', unit: 'KB', value: heap, target: '≤ 16 KB', met: heap.median <= 16 },
        ],
      };
    } finally {
      await server.close();
    }
  },
};
