/**
 * The PostgreSQL backend's transaction helper and column parsing (`postgres/transaction.ts`):
 * a transaction commits and gives its client back to the pool; one that fails is rolled back
 * and its client destroyed (never reused); a snapshot transaction refuses writes; bigints that
 * are not safe integers are refused, never rounded. The transaction tests run on a real,
 * throwaway PostgreSQL (skipped with one line without it, mandatory under CI=true).
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginTransaction, toSafeInteger, withTransaction } from '../../../src/server/storage/postgres/transaction.js';
import { openPool, rowsOf } from '../../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { POSTGRES, requiring } from '../../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the PostgreSQL storage tests');

/** Waits (at most two seconds) for `done()`: the pool tells `remove` once the client's connection has closed. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('toSafeInteger', () => {
  it('reads int8 text and numbers, and refuses what is not a safe integer', () => {
    expect(toSafeInteger('42')).toBe(42);
    expect(toSafeInteger('-7')).toBe(-7);
    expect(toSafeInteger(5)).toBe(5);
    expect(toSafeInteger(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    for (const bad of ['9007199254740993', '1.5', '', ' 1', 'x', null, undefined, 1.5, Number.NaN]) expect(() => toSafeInteger(bad), String(bad)).toThrow(RangeError);
  });
});

pgAvailable.describe('withTransaction on a pg pool', () => {
  let cluster: PostgresCluster | undefined;
  let pool: pg.Pool;
  /** Clients the pool destroyed (its `remove` event). */
  let removed = 0;
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
    pool = openPool(cluster.url, 2);
    pool.on('remove', () => removed++);
    await pool.query('create table t (n int primary key)');
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    cluster?.stop();
  });

  pgAvailable.it('commits and gives the client back; a failure rolls back and destroys the client', async () => {
    await withTransaction(pool, {}, async (tx) => tx.query('insert into t values ($1)', [1]));
    expect({ idle: pool.idleCount, removed }).toEqual({ idle: 1, removed: 0 });
    await expect(
      withTransaction(pool, {}, async (tx) => {
        await tx.query('insert into t values ($1)', [2]);
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    // A statement error, too: the duplicate key aborts the transaction.
    await expect(withTransaction(pool, {}, async (tx) => tx.query('insert into t values ($1)', [1]))).rejects.toThrow(/duplicate key/);
    await until(() => removed >= 2);
    expect(removed).toBe(2);
    expect((await rowsOf(pool, 'select n from t order by n')).map((r) => r['n'])).toEqual([1]);
    // Nothing left open on the server.
    expect(await rowsOf(pool, `select pid from pg_stat_activity where state like 'idle in transaction%'`)).toEqual([]);
  });

  pgAvailable.it('a snapshot transaction is read-only and repeatable; a held one whose backend dies rejects, and its abort destroys the client', async () => {
    await expect(withTransaction(pool, { mode: 'repeatableReadReadOnly' }, async (tx) => tx.query('insert into t values ($1)', [3]))).rejects.toThrow(/read-only/);
    const held = await beginTransaction(pool, { mode: 'repeatableReadReadOnly' });
    const [{ pid }] = (await held.query<{ pid: number }>('select pg_backend_pid() as pid')) as [{ pid: number }];
    const before = removed;
    await pool.query('select pg_terminate_backend($1)', [pid]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(held.dead).toBe(true);
    await expect(held.query('select 1')).rejects.toThrow();
    await held.abort(new Error('gone'));
    await until(() => removed > before);
    expect(removed).toBe(before + 1);
    expect(await rowsOf(pool, 'select 1 as one')).toEqual([{ one: 1 }]);
  });
});
