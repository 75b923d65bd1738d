/**
 * State readers of the PostgreSQL backend do not exhaust the connection pool: each open one
 * holds a connection, so a store opens at most `maxStateReaders` at once (default half the
 * pool) and the others wait in turn, while uploads go on; a store closing rejects those waiting;
 * and a reader its caller never closes is ended by PostgreSQL once it sits idle past
 * `stateReaderIdleTimeoutMs`, giving its connection and slot back and failing its next batch
 * with a clear error. On a real, throwaway PostgreSQL; skipped with one line without it,
 * mandatory under CI=true.
 */
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { openPostgresPartitionStore, StateReaderLostError, type PostgresPartition, type PostgresPartitionStore, type PostgresPartitionStoreOptions } from '../../../src/server/storage/postgres/index.js';
import type { StateReader } from '../../../src/server/storage/server-storage.js';
import { silentLogger } from '../../../src/store/logger.js';
import { putTask } from '../../support/changesets.js';
import { createDatabase, openPool, rowsOf } from '../../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { POSTGRES, requiring } from '../../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the PostgreSQL storage tests');
let cluster: PostgresCluster | undefined;
const pools: pg.Pool[] = [];
const stores: PostgresPartitionStore[] = [];
const NOW = 10_000_000;

/** A store on a new database and a pool of `max` connections, with a folded partition `p` of 300 documents. */
async function storeWithState(max: number, options: PostgresPartitionStoreOptions = {}): Promise<{ sql: pg.Pool; store: PostgresPartitionStore; h: PostgresPartition }> {
  const { url } = await createDatabase(cluster!.url, 'readers');
  const sql = openPool(url, max);
  pools.push(sql);
  const store = await openPostgresPartitionStore(sql, { logger: silentLogger, now: () => 0, ...options });
  stores.push(store);
  const h = await store.acquire('p');
  await h.append('o', 'u', Array.from({ length: 300 }, (_, i) => putTask('o', i + 1, `t${i + 1}`)), NOW);
  await h.fold({ now: NOW, retentionMs: 1e12 });
  return { sql, store, h };
}

/** `promise`, or a rejection naming `what` after `ms`: a wait that must end, bounded. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads `reader` to its end: the bytes of its documents. */
async function readAll(reader: StateReader): Promise<number> {
  let documents = 0;
  for (let i = 0; i < 10_000; i++) {
    const batch = await reader.next(4096);
    documents += batch.documentJson.length;
    if (batch.done) return documents;
  }
  throw new Error('the read did not end');
}

pgAvailable.describe('PostgreSQL state readers and the connection pool', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
  }, 120_000);
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(pools.splice(0).map((p) => p.end()));
  });
  afterAll(() => {
    cluster?.stop();
  });

  pgAvailable.it('readers past the cap (default: half the pool) wait in turn while uploads go on; a store closing rejects those waiting', async () => {
    const { sql, store, h } = await storeWithState(4);
    // Two (half of 4) slow clients' readers, opened and not read.
    const held = [await h.readState(0), await h.readState(0)];
    const opened: string[] = [];
    const third = h.readState(0).then((r) => (opened.push('third'), r));
    const fourth = h.readState(0).then((r) => (opened.push('fourth'), r));
    // An upload is not held up by them, and the third reader does not open first.
    const first = await Promise.race([
      third.then(() => 'a reader past the cap opened'),
      (async () => {
        await h.append('o', 'u', [putTask('o', 301, 'late')], NOW);
        await rowsOf(sql, 'select 1');
        return 'the upload completed';
      })(),
    ]);
    expect(first).toBe('the upload completed');
    expect(h.origin('o').clientVersion).toBe(301);
    expect(opened).toEqual([]);
    // Each reader that ends lets the next waiting one open, in the order they asked.
    await held[0]!.close();
    const r3 = await within(third, 10_000, 'the third reader opens once one ends');
    expect(opened).toEqual(['third']);
    expect(await readAll(r3)).toBe(300);
    const r4 = await within(fourth, 10_000, 'the fourth reader opens once another ends');
    expect(opened).toEqual(['third', 'fourth']);
    // The cap's readers open again; one more waits, and the store closing rejects it.
    const more = h.readState(0);
    const rejected = expect(more).rejects.toThrow(/the partition store is closed/);
    await store.close();
    await rejected;
    expect(r4.stateVersion).toBe(r3.stateVersion);
  });

  pgAvailable.it('a reader left open past stateReaderIdleTimeoutMs gives its connection and slot back; its next batch fails with a clear error', async () => {
    const { sql, h } = await storeWithState(4, { maxStateReaders: 1, stateReaderIdleTimeoutMs: 300 });
    const abandoned = await h.readState(0);
    expect((await abandoned.next(100)).done).toBe(false);
    // The only slot is the abandoned reader's: the next reader opens once PostgreSQL ends that one.
    const next = await within(h.readState(0), 20_000, 'a reader opens after the abandoned one timed out');
    await expect(abandoned.next(100)).rejects.toThrow(StateReaderLostError);
    await expect(abandoned.next(100)).rejects.toMatchObject({ code: 'idleTimeout', message: expect.stringMatching(/sat longer than 300 ms between batches/) });
    await abandoned.close();
    // Its connection went: the pool holds the new reader's and the writes' only.
    const inTransaction = await rowsOf<{ n: number }>(sql, `select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`);
    expect(inTransaction[0]!.n).toBe(1);
    // A reader that keeps reading is not ended by it: each pause between batches is short.
    expect(await readAll(next)).toBe(300);
    await h.append('o', 'u', [putTask('o', 301, 'late')], NOW);
    expect(h.latest).toBe(301);
  });
});
