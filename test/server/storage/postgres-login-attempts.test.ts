/**
 * The PostgreSQL failed-login windows against a real, throwaway PostgreSQL: the acceptance suite
 * every window store runs (a fresh database per test), then what only a shared table asks: two
 * stores on two pools (two nodes) allow `perEmail` and `perAddress` in total, not each; attempts
 * racing across both on the last allowed failures admit exactly the limit; a flood of distinct
 * keys over both keeps the table bounded (and a blocked email in it); a database out of reach
 * refuses (rejects), never admits. Skipped with one line without PostgreSQL; mandatory under CI=true.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { LoginLimiter, type LoginAttemptLimits } from '../../../src/server/login-limiter.js';
import { migrate } from '../../../src/server/storage/postgres/migrations.js';
import { postgresLoginAttempts } from '../../../src/server/storage/postgres/postgres-login-attempts.js';
import { silentLogger, type Logger } from '../../../src/store/logger.js';
import { runLoginLimiterAcceptance } from '../login-limiter-acceptance.js';
import { createDatabase, openPool, rowsOf } from '../../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { POSTGRES, requiring } from '../../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the PostgreSQL storage tests');
let cluster: PostgresCluster | undefined;
/** Every pool this file opened that is not ended yet: afterAll ends what a failed test left. */
const pools = new Set<pg.Pool>();
const SWEEP_EVERY = 10;
const WINDOW = 60_000;

function pool(url: string, max = 10): pg.Pool {
  const sql = openPool(url, max, 1000);
  pools.add(sql);
  return sql;
}

async function end(sql: pg.Pool): Promise<void> {
  pools.delete(sql);
  await sql.end();
}

/** A fresh, migrated database: its URL. */
async function freshDatabase(): Promise<string> {
  const { url } = await createDatabase(cluster!.url, 'login_attempts');
  const sql = pool(url, 1);
  try {
    await migrate(sql);
  } finally {
    await end(sql);
  }
  return url;
}

/** `count` limiters on one database, each on a pool of its own: `count` nodes. */
async function nodes(count: number, limits: LoginAttemptLimits, now: () => number, logger: Logger = silentLogger): Promise<{ limiters: LoginLimiter[]; sql: pg.Pool }> {
  const url = await freshDatabase();
  const limiters = Array.from({ length: count }, () => new LoginLimiter(limits, now, postgresLoginAttempts(pool(url), { logger, sweepEvery: SWEEP_EVERY })));
  return { limiters, sql: pool(url, 1) };
}

pgAvailable.describe('PostgreSQL login attempts', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([...pools].map((sql) => end(sql)));
    cluster?.stop();
  });

  describe('acceptance', () => {
    runLoginLimiterAcceptance(
      'postgres',
      async () => {
        const sql = pool(await freshDatabase());
        return { open: postgresLoginAttempts(sql, { logger: silentLogger, sweepEvery: SWEEP_EVERY }), sweepEvery: SWEEP_EVERY, teardown: () => end(sql) };
      },
      // 2,000 is 20 × maxTracked: the bound shows as well as at 20,000, at a tenth of the round trips.
      { flood: 2_000, timeoutMs: 120_000 },
    );
  });

  pgAvailable.it('two nodes allow perEmail failures of an email in total, and perAddress of an address, not each', async () => {
    const now = 1_000_000;
    const { limiters } = await nodes(2, { perEmail: 5, perAddress: 7, windowMs: WINDOW, maxTracked: 1_000 }, () => now);
    const [one, two] = limiters as [LoginLimiter, LoginLimiter];
    const byEmail: boolean[] = [];
    for (let i = 0; i < 12; i++) byEmail.push((await (i % 2 === 0 ? one : two).begin('ann@example.com', `192.0.2.${i}`)).ok);
    expect(byEmail).toEqual([...Array<boolean>(5).fill(true), ...Array<boolean>(7).fill(false)]);
    // Refused on both, with the one window's remaining time.
    expect(await one.begin('ANN@example.com', '192.0.2.99')).toEqual({ ok: false, retryAfterMs: WINDOW });
    expect(await two.begin('ann@example.com', '192.0.2.99')).toEqual({ ok: false, retryAfterMs: WINDOW });
    const byAddress: boolean[] = [];
    for (let i = 0; i < 12; i++) byAddress.push((await (i % 2 === 0 ? one : two).begin(`user-${i}@example.com`, '198.51.100.1')).ok);
    expect(byAddress).toEqual([...Array<boolean>(7).fill(true), ...Array<boolean>(5).fill(false)]);
    // A success on one node forgets the email's failures for the other.
    const right = await one.begin('bob@example.com', '203.0.113.1');
    if (!right.ok) throw new Error('bob was refused');
    for (let i = 0; i < 4; i++) await two.begin('bob@example.com', `203.0.113.${i + 2}`);
    expect((await one.begin('bob@example.com', '203.0.113.9')).ok).toBe(false);
    await one.succeeded(right);
    expect((await two.begin('bob@example.com', '203.0.113.9')).ok).toBe(true);
    console.log(`login attempts on 2 nodes: per email ${byEmail.filter(Boolean).length} admitted of 12 (limit 5), per address ${byAddress.filter(Boolean).length} of 12 (limit 7)`);
  });

  pgAvailable.it('attempts racing across two nodes on the last allowed failures admit exactly the limit', async () => {
    const now = 1_000_000;
    const { limiters } = await nodes(2, { perEmail: 7, perAddress: 5, windowMs: WINDOW, maxTracked: 1_000 }, () => now);
    const [one, two] = limiters as [LoginLimiter, LoginLimiter];
    const ROUNDS = 10;
    const AT_ONCE = 40;
    for (let round = 0; round < ROUNDS; round++) {
      // The email's last failure (6 counted, on both nodes), raced for by attempts from distinct addresses.
      const email = `race-${round}@example.com`;
      for (let i = 0; i < 6; i++) expect((await (i % 2 === 0 ? one : two).begin(email, `10.${round}.0.${i}`)).ok).toBe(true);
      const last = await Promise.all(Array.from({ length: AT_ONCE }, (_, i) => (i % 2 === 0 ? one : two).begin(email, `10.${round}.1.${i}`)));
      expect(last.filter((v) => v.ok)).toHaveLength(1);
      // All of an address's five, raced for from a standing start by attempts at distinct emails.
      const address = `10.${round}.2.1`;
      const all = await Promise.all(Array.from({ length: AT_ONCE }, (_, i) => (i % 2 === 0 ? one : two).begin(`r${round}-${i}@example.com`, address)));
      expect(all.filter((v) => v.ok)).toHaveLength(5);
    }
    console.log(`login attempts race: ${ROUNDS} rounds of ${AT_ONCE} attempts over 2 nodes for the email's last failure (1 admitted each) and for an address's 5 (5 admitted each)`);
  }, 60_000);

  pgAvailable.it('a flood of distinct emails and addresses over two nodes keeps the table near maxTracked, and a blocked email in it', async () => {
    let now = 0;
    const MAX = 50;
    const { limiters, sql } = await nodes(2, { perEmail: 3, perAddress: 3, windowMs: WINDOW, maxTracked: MAX }, () => now);
    const [one, two] = limiters as [LoginLimiter, LoginLimiter];
    for (let i = 0; i < 3; i++) await one.begin('ann@example.com', '192.0.2.1');
    const FLOOD = 3_000;
    // Sweeps of either node trim to MAX; between them each node adds fewer than SWEEP_EVERY.
    const bound = MAX + 2 * (SWEEP_EVERY - 1);
    let most = 0;
    for (let i = 0; i < FLOOD; i++) {
      now += 1;
      await (i % 2 === 0 ? one : two).begin(`flood-${i}@example.com`, `198.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
      if (i % 50 === 0) {
        const [row] = await rowsOf<{ emails: number; addresses: number }>(
          sql,
          `select count(*) filter (where kind = 'email')::int as emails, count(*) filter (where kind = 'address')::int as addresses from sync_login_attempts`,
        );
        most = Math.max(most, row!.emails, row!.addresses);
      }
    }
    const tracked = await one.tracked();
    console.log(`login attempts flood: ${FLOOD} distinct emails and addresses over 2 nodes (maxTracked ${MAX}, sweep every ${SWEEP_EVERY}): at most ${most} rows of a kind seen, ${JSON.stringify(tracked)} at the end (bound ${bound})`);
    expect(most).toBeLessThanOrEqual(bound);
    expect(tracked.emails).toBeLessThanOrEqual(bound);
    expect(tracked.addresses).toBeLessThanOrEqual(bound);
    // Ann was at her limit all along: the under-limit windows went first.
    expect((await two.begin('ann@example.com', '203.0.113.9')).ok).toBe(false);
    // Ended windows go at the next sweep, whichever node runs it (each sweeps within SWEEP_EVERY of its own).
    now += WINDOW;
    for (let i = 0; i < 2 * SWEEP_EVERY; i++) await (i % 2 === 0 ? one : two).begin(`late-${i}@example.com`, `late-${i}`);
    expect((await one.tracked()).emails).toBeLessThanOrEqual(2 * SWEEP_EVERY);
  }, 120_000);

  pgAvailable.it('a database out of reach refuses the attempt (rejects, and says so in the log), never admits it', async () => {
    const warnings: string[] = [];
    const logger: Logger = { info: () => undefined, warn: (message) => warnings.push(message) };
    const url = await freshDatabase();
    const name = new URL(url).pathname.slice(1);
    const sql = pool(url, 2);
    const limiter = new LoginLimiter({ perEmail: 3, perAddress: 3, windowMs: WINDOW, maxTracked: 100 }, () => 0, postgresLoginAttempts(sql, { logger, sweepEvery: SWEEP_EVERY }));
    expect((await limiter.begin('ann@example.com', '192.0.2.1')).ok).toBe(true);
    // The database stops taking connections, and the ones it had are cut.
    const admin = pool(cluster!.url, 1);
    try {
      await admin.query(`alter database ${name} allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
      await expect(limiter.begin('ann@example.com', '192.0.2.1')).rejects.toThrow();
      expect(warnings.some((w) => w.includes('refused'))).toBe(true);
    } finally {
      await admin.query(`alter database ${name} allow_connections true`);
      await end(admin);
    }
  });
});
