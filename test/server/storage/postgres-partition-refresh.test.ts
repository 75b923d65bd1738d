/**
 * `refresh()` of the PostgreSQL backend extends a node's cache by what changed (the changesets
 * after its `latest`, the origins that wrote them), reading it whole only where it cannot: after
 * any interleaving of another node's appends, folds on either node, resets and refreshes, the
 * refreshed node's cache answers as a handle opened fresh on the database does. On a real,
 * throwaway PostgreSQL; skipped with one line without it, mandatory under CI=true.
 */
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Changeset, Operation } from '../../../src/protocol/changeset.codec.js';
import { openPostgresPartitionStore, type PostgresPartition, type PostgresPartitionStore } from '../../../src/server/storage/postgres/index.js';
import { silentLogger } from '../../../src/store/logger.js';
import { createDatabase, openPool, rowsOf } from '../../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { POSTGRES, requiring } from '../../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the PostgreSQL storage tests');
let cluster: PostgresCluster | undefined;
const ORIGINS = ['o1', 'o2', 'o3'] as const;

/** What a handle's cache answers, and the tail reads it serves, at a few cursors. */
async function answers(h: PostgresPartition, maxBytes: number): Promise<unknown> {
  const { stateVersion, latest } = h;
  const cursors = [...new Set([stateVersion, stateVersion + 1, Math.floor((stateVersion + latest) / 2), latest - 1, latest])].filter((v) => v >= stateVersion && v <= latest);
  const perOrigin: Record<string, unknown> = {};
  for (const o of [...ORIGINS, 'reader']) {
    perOrigin[o] = {
      origin: h.origin(o),
      bytesAfter: [0, ...cursors].map((after) => h.tailBytesAfter(after, o)),
      reads: await Promise.all(cursors.map((after) => h.readTail(after, o, maxBytes))),
    };
  }
  return { epoch: h.epoch, latest, stateVersion, expiredThrough: h.expiredThrough, stateBytes: h.stateBytes, tailBytes: h.tailBytes, perOrigin };
}

pgAvailable.describe('PostgreSQL partition: refresh() after another node wrote', () => {
  const pools: pg.Pool[] = [];
  const stores: PostgresPartitionStore[] = [];
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(pools.splice(0).map((p) => p.end()));
    cluster?.stop();
  });

  pgAvailable.it("property: a refreshed node's cache answers as a freshly opened handle, whatever the other node and this one did meanwhile", async () => {
    const { url } = await createDatabase(cluster!.url, 'refresh');
    // Three nodes: A writes, B refreshes, C opens a fresh handle to compare B with. No background folds.
    const options = { logger: silentLogger, now: () => 0, foldPolicy: { minTailBytes: Number.POSITIVE_INFINITY, tailFraction: Number.POSITIVE_INFINITY } };
    for (let i = 0; i < 3; i++) {
      const pool = openPool(url, 4);
      pools.push(pool);
      stores.push(await openPostgresPartitionStore(pool, options));
    }
    const [nodeA, nodeB, nodeC] = stores as [PostgresPartitionStore, PostgresPartitionStore, PostgresPartitionStore];
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    const RUNS = 80;
    const counts = { steps: 0, appends: 0, folds: 0, resets: 0, refreshes: 0, alongside: 0, extended: 0, full: 0, epochChanged: 0, grew: 0 };
    const op = fc.oneof(
      { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), type: fc.constant('T'), id: fc.constantFrom('a', 'b', 'c', 'd'), fields: fc.dictionary(fc.constantFrom('f', 'g'), fc.integer({ min: 0, max: 9 }), { minKeys: 1, maxKeys: 2 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), type: fc.constant('T'), id: fc.constantFrom('a', 'b', 'c', 'd') }) },
    );
    const node = fc.constantFrom('A' as const, 'B' as const);
    const append = fc.record({ kind: fc.constant('append' as const), on: fc.constantFrom('A' as const, 'A' as const, 'B' as const), origin: fc.constantFrom(...ORIGINS), ops: fc.array(fc.array(op, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }) });
    const fold = fc.record({ kind: fc.constant('fold' as const), on: node, back: fc.nat(4), retention: fc.boolean() });
    const step = fc.oneof(
      { weight: 6, arbitrary: append },
      { weight: 2, arbitrary: fold },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), on: node, mode: fc.constantFrom('keepDocuments' as const, 'wipe' as const) }) },
      // Now and then while B itself appends or folds: B's cache updated under the refresh's read.
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('refresh' as const), alongside: fc.option(fc.oneof(append, fold).map((s) => ({ ...s, on: 'B' as const })), { freq: 3 }) }) },
    );
    type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 24 }), fc.integer({ min: 1, max: 400 }), async (steps, maxBytes) => {
        const partition = `prop-${run++}`;
        const [a, b] = await Promise.all([nodeA.acquire(partition), nodeB.acquire(partition)]);
        let time = 0;
        /** An append, fold or reset on its node. */
        const write = async (s: Exclude<Step, { kind: 'refresh' }>): Promise<void> => {
          const on = s.on === 'B' ? b : a;
          if (s.kind === 'append') {
            // The stored client version, not a cache's: a reset on either node may have wiped it.
            const [stored] = await rowsOf<{ cv: string }>(pools[0]!, 'select client_version as cv from sync_origins where partition = $1 and origin = $2', [partition, s.origin]);
            const from = stored === undefined ? 0 : Number(stored.cv);
            const upload: Changeset[] = s.ops.map((ops, i) => ({ clientVersion: from + i + 1, origin: s.origin, hlc: { wall: time + i, counter: 0 }, ops: ops as Operation[] }));
            await on.append(s.origin, `user-${s.origin}`, upload, time);
            counts.appends++;
          } else if (s.kind === 'fold') {
            await on.fold({ now: time, retentionMs: s.retention ? 5 : 1e12, through: Math.max(on.stateVersion, on.latest - s.back) });
            counts.folds++;
          } else if (s.kind === 'reset') {
            await on.reset(s.mode);
            counts.resets++;
          }
        };
        try {
          for (const s of [...steps, { kind: 'refresh' as const, alongside: null }]) {
            counts.steps++;
            time += 10;
            if (s.kind !== 'refresh') await write(s);
            else {
              const before = { epoch: b.epoch, latest: b.latest };
              const [refreshed] = await Promise.all([b.refresh(), s.alongside === null ? undefined : write(s.alongside)]);
              counts.refreshes++;
              counts[refreshed.full ? 'full' : 'extended']++;
              if (refreshed.epochChanged) counts.epochChanged++;
              if (refreshed.grew) counts.grew++;
              if (s.alongside === null) expect(refreshed).toMatchObject({ epochChanged: b.epoch !== before.epoch, grew: b.latest > before.latest });
              else counts.alongside++;
              const fresh = await nodeC.acquire(partition);
              try {
                const expected = await answers(fresh, maxBytes);
                expect(await answers(b, maxBytes)).toEqual(expected);
              } finally {
                await nodeC.release(partition);
              }
            }
          }
        } finally {
          await Promise.all([nodeA.release(partition), nodeB.release(partition)]);
        }
      }),
      { numRuns: RUNS, seed },
    );
    console.log(`refresh property: ${RUNS} runs, seed ${seed} (FC_SEED=${seed} to replay); ${JSON.stringify(counts)}`);
    // The extending path, the point of the change, was taken (and the whole one, after resets and folds past the cache).
    expect(counts.extended).toBeGreaterThan(0);
    expect(counts.full).toBeGreaterThan(0);
  }, 300_000);
});
