/**
 * The PostgreSQL change feed on its own: what one node publishes reaches the others (never
 * itself), coalesced; a payload that is not a change is ignored; a change too big for a
 * notification asks for a resync; a listening connection that dies, or a database restart,
 * is followed by a reconnect and a resync. Real PostgreSQL; skipped with one line without it,
 * mandatory under CI=true.
 */
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { ChangeFeed, ChangeListener, StorageChange } from '../../../src/server/storage/change-feed.js';
import { CHANGE_CHANNEL, LISTEN_APPLICATION_NAME, openPostgresChangeFeed } from '../../../src/server/storage/postgres/postgres-change-feed.js';
import type { Logger } from '../../../src/store/logger.js';
import { eventually } from '../../support/eventually.js';
import { createDatabase, openPool } from '../../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { POSTGRES, requiring } from '../../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the PostgreSQL change feed tests');
let cluster: PostgresCluster | undefined;
const feeds: ChangeFeed[] = [];
const pools: pg.Pool[] = [];

/** What a feed's listener heard. */
interface Heard extends ChangeListener {
  readonly changes: StorageChange[];
  resyncs: number;
}

const hearing = (): Heard => {
  const heard: Heard = {
    changes: [],
    resyncs: 0,
    changed: (change) => heard.changes.push(change),
    resync: () => {
      heard.resyncs++;
    },
  };
  return heard;
};

const warnings: string[] = [];
const logger: Logger = { info: () => undefined, warn: (message) => warnings.push(message) };

/** `count` started feeds on one new database, each with what it heard. */
async function feedsOn(count: number, pollIntervalMs = 600_000): Promise<{ url: string; pool: pg.Pool; feed: ChangeFeed[]; heard: Heard[] }> {
  const { url } = await createDatabase(cluster!.url, 'feed');
  const pool = openPool(url, 4);
  pools.push(pool);
  const feed: ChangeFeed[] = [];
  const heard: Heard[] = [];
  for (let i = 0; i < count; i++) {
    const f = openPostgresChangeFeed({ pool, connectionString: url, pollIntervalMs, logger });
    const h = hearing();
    f.start(h);
    feed.push(f);
    heard.push(h);
  }
  feeds.push(...feed);
  // Each listens once its first resync came (the one after LISTEN).
  await eventually(() => heard.every((h) => h.resyncs >= 1), 'every feed listening', 10_000);
  return { url, pool, feed, heard };
}

pgAvailable.describe('PostgreSQL change feed', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
  }, 120_000);
  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((f) => f.close()));
    await Promise.all(pools.splice(0).map((p) => p.end()));
    warnings.length = 0;
  });
  afterAll(() => cluster?.stop());

  pgAvailable.it('a change reaches the other nodes, not its sender; a burst is coalesced', async () => {
    const { feed, heard } = await feedsOn(3);
    for (let i = 0; i < 500; i++) feed[0]!.publish({ kind: 'partition', partition: 'p' });
    feed[0]!.publish({ kind: 'revoked', userId: 'u1' });
    await eventually(() => heard[1]!.changes.length >= 2 && heard[2]!.changes.length >= 2, 'both others heard', 10_000);
    // Give a late duplicate the time to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const h of heard.slice(1)) {
      expect(h.changes).toEqual([
        { kind: 'partition', partition: 'p' },
        { kind: 'revoked', userId: 'u1' },
      ]);
    }
    expect(heard[0]!.changes).toEqual([]);
    console.log(`change feed: 501 publishes in one tick arrived as ${heard[1]!.changes.length} notifications at each other node`);
  });

  pgAvailable.it('a payload that is not a change is ignored; a change too big to notify asks for a resync', async () => {
    const { pool, feed, heard } = await feedsOn(2);
    await pool.query('select pg_notify($1, $2)', [CHANGE_CHANNEL, 'not json']);
    await pool.query('select pg_notify($1, $2)', [CHANGE_CHANNEL, JSON.stringify({ n: 'x', p: 42 })]);
    const before = heard[1]!.resyncs;
    feed[0]!.publish({ kind: 'partition', partition: 'p'.repeat(10_000) });
    await eventually(() => heard[1]!.resyncs > before, 'a resync for the oversized change', 10_000);
    expect(heard[1]!.changes).toEqual([]);
    // Each of the two nodes ignored each of the two.
    expect(warnings.filter((w) => w.startsWith('ignored a notification'))).toHaveLength(4);
  });

  pgAvailable.it('a listening connection that dies is opened again, and the node resyncs (what was sent meanwhile is lost to it)', async () => {
    const { pool, feed, heard } = await feedsOn(2);
    const before = heard[1]!.resyncs;
    const { rows } = await pool.query<{ killed: boolean }>('select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = $1', [LISTEN_APPLICATION_NAME]);
    expect(rows.length).toBe(2);
    await eventually(() => heard[0]!.resyncs > 1 && heard[1]!.resyncs > before, 'both reconnected and resynced', 15_000);
    feed[0]!.publish({ kind: 'partition', partition: 'after' });
    await eventually(() => heard[1]!.changes.some((c) => c.kind === 'partition' && c.partition === 'after'), 'a change after the reconnect', 10_000);
    expect(warnings.some((w) => w.startsWith('lost the connection that listens'))).toBe(true);
  });

  pgAvailable.it('after a database restart both feeds listen again; the poll resyncs at its interval meanwhile', async () => {
    const { feed, heard } = await feedsOn(2, 100);
    await eventually(() => heard[1]!.resyncs >= 3, 'polls', 10_000);
    cluster!.restart();
    const afterRestart = heard[1]!.resyncs;
    for (let attempt = 0; attempt < 100 && !heard[1]!.changes.some((c) => c.kind === 'partition' && c.partition === 'back'); attempt++) {
      feed[0]!.publish({ kind: 'partition', partition: 'back' });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(heard[1]!.changes.some((c) => c.kind === 'partition' && c.partition === 'back')).toBe(true);
    expect(heard[1]!.resyncs).toBeGreaterThan(afterRestart);
  }, 60_000);
});
