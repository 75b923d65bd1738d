/**
 * Adversarial review (wt-rev1): races of one PostgreSQL partition handle and of the hub over it,
 * each test the demonstration of a suspected bug. On a real, throwaway PostgreSQL; skipped with
 * one line without it, mandatory under CI=true.
 */
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { PartitionHub, type Subscriber } from '../../../src/server/partition-hub.js';
import type { ChangeFeed } from '../../../src/server/storage/change-feed.js';
import { openPostgresPartitionStore, type PostgresPartitionStore } from '../../../src/server/storage/postgres/index.js';
import { silentLogger } from '../../../src/store/logger.js';
import { putTask } from '../../support/changesets.js';
import { createDatabase, openPool } from '../../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { POSTGRES, requiring } from '../../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the PostgreSQL review race tests');
let cluster: PostgresCluster | undefined;
const pools: pg.Pool[] = [];
const stores: PostgresPartitionStore[] = [];
const NOW = 10_000_000;
/** How long a promise may stay pending before the test calls it hung (a deadlock never settles). */
const HANG_MS = 5_000;

async function nodes(count: number): Promise<PostgresPartitionStore[]> {
  const { url } = await createDatabase(cluster!.url, 'review');
  const store: PostgresPartitionStore[] = [];
  for (let i = 0; i < count; i++) {
    const pool = openPool(url, 4);
    pools.push(pool);
    store.push(await openPostgresPartitionStore(pool, { logger: silentLogger, now: () => 0 }));
  }
  stores.push(...store);
  return store;
}

/** 'settled' once `p` settles, 'hung' if it has not within HANG_MS. */
async function settles(p: Promise<unknown>): Promise<'settled' | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), HANG_MS)));
  try {
    return await Promise.race([p.then(() => 'settled' as const, () => 'settled' as const), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A bound session as the hub sees it, carrying what a `BoundSession` knows (the epoch its IDENT
 * named, its download position), so a hub that decides per session can tell; and what it was told.
 */
function session(epoch: string, position = 0): Subscriber & { readonly epoch: string; readonly position: number; woken: number; resets: number } {
  const s = { epoch, position, woken: 0, resets: 0, historyGrew: () => void s.woken++, partitionReset: () => void s.resets++ };
  return s;
}

const quietFeed: ChangeFeed = { start: () => undefined, publish: () => undefined, close: () => Promise.resolve() };

pgAvailable.describe('review: PostgreSQL partition races', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
  }, 120_000);
  afterEach(async () => {
    // Bounded: a deadlocked handle makes its store's close() hang too (part of what the first tests show).
    await settles(Promise.all(stores.splice(0).map((s) => s.close())));
    await settles(Promise.all(pools.splice(0).map((s) => s.end())));
  });
  afterAll(() => {
    cluster?.stop();
  });

  pgAvailable.it('a reset called while an append is queued on the handle settles (no deadlock of reset vs appendChain)', async () => {
    const [store] = await nodes(1);
    const handle = await store!.acquire('p');
    await handle.append('o', 'alice', [putTask('o', 1, 't1')], NOW);
    // An upload arriving in the same turn as the operator's reset: queued on appendChain, not started.
    const append = handle.append('o', 'alice', [putTask('o', 2, 't2')], NOW);
    const reset = handle.reset('keepDocuments');
    expect(await settles(reset)).toBe('settled');
    expect(await settles(append)).toBe('settled');
  }, 30_000);

  pgAvailable.it('a reset called while a fold is queued behind another fold settles (no deadlock of reset vs foldChain)', async () => {
    const [store] = await nodes(1);
    const handle = await store!.acquire('p');
    for (let v = 1; v <= 5; v++) await handle.append('o', 'alice', [putTask('o', v, `t${v}`)], NOW);
    const first = handle.fold({ now: NOW, retentionMs: 1_000_000, through: 2 });
    const second = handle.fold({ now: NOW, retentionMs: 1_000_000 });
    const reset = handle.reset('wipe');
    expect(await settles(reset)).toBe('settled');
    expect(await settles(Promise.all([first, second]))).toBe('settled');
  }, 30_000);

  pgAvailable.it('sessions of a handle that another user of it refreshed (an IDENT ahead) are still woken by the hub for the other node\'s changesets', async () => {
    const [one, two] = await nodes(2);
    const hub = new PartitionHub(one!, silentLogger, quietFeed);
    // Session B on node one: bound to `p`, waiting for changesets.
    const watched = await hub.acquire('p');
    const b = session(watched.epoch);
    hub.subscribe('p', b);
    // Node two stores 3 changesets; node one has not heard yet.
    const other = await two!.acquire('p');
    for (let v = 1; v <= 3; v++) await other.append('o2', 'bob', [putTask('o2', v, `b${v}`)], NOW);
    // Session A on node one: its client's cursors (from node two) look ahead, so its IDENT refreshes the shared handle.
    await watched.refresh();
    expect(watched.latest).toBe(3);
    // Then the notification (or the poll) arrives: B must be told of changesets 1..3.
    await hub.changed('p');
    await hub.resync();
    expect(b.woken).toBeGreaterThan(0);
    expect(b.resets).toBe(0);
    hub.release('p');
    await two!.release('p');
    hub.close();
  }, 30_000);

  pgAvailable.it('a session bound in the new epoch (its handle moved there by this node\'s own append) is not reset by a hub refresh that began in the old one', async () => {
    const [one, two] = await nodes(2);
    const hub = new PartitionHub(one!, silentLogger, quietFeed);
    const handle = await hub.acquire('p');
    await handle.append('o1', 'ann', [putTask('o1', 1, 'a1')], NOW);
    const old = handle.epoch;
    // B: bound at IDENT in the old epoch; it must be reset.
    const b = session(old, 1);
    hub.subscribe('p', b);
    const other = await two!.acquire('p');
    await other.reset('keepDocuments');
    // An upload through this node, under way when node two's notification comes: it commits into the
    // new epoch and moves the handle there; the hub's refresh, queued behind it, began in the old one.
    const upload = handle.append('o3', 'cid', [putTask('o3', 1, 'c1')], NOW);
    const heard = hub.changed('p');
    await upload;
    expect(handle.epoch).not.toBe(old);
    // X: a client already in the new epoch (reset through node two) binds now: told the new epoch.
    const x = session(handle.epoch, handle.latest);
    hub.subscribe('p', x);
    await heard;
    expect(b.resets).toBe(1);
    expect(x.resets).toBe(0);
    hub.release('p');
    await two!.release('p');
    hub.close();
  }, 30_000);

  pgAvailable.it('sessions of a handle that another user of it refreshed onto a new epoch (another node\'s reset) are still reset by the hub', async () => {
    const [one, two] = await nodes(2);
    const hub = new PartitionHub(one!, silentLogger, quietFeed);
    const watched = await hub.acquire('p');
    await watched.append('o1', 'ann', [putTask('o1', 1, 'a1')], NOW);
    const old = watched.epoch;
    const b = session(old, 1);
    hub.subscribe('p', b);
    const other = await two!.acquire('p');
    await other.reset('wipe');
    // Session A on node one: its client, reset through node two, names the new epoch; its IDENT refreshes the shared handle.
    await watched.refresh();
    expect(watched.epoch).not.toBe(old);
    await hub.changed('p');
    await hub.resync();
    // B was told epoch `old` at its IDENT and holds its documents: it must be reset.
    expect(b.resets).toBeGreaterThan(0);
    hub.release('p');
    await two!.release('p');
    hub.close();
  }, 30_000);
});
