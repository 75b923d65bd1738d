/**
 * The throwaway PostgreSQL cluster the PostgreSQL tests run against (`postgres-cluster.ts`):
 * it starts on 127.0.0.1, takes a connection through the project's driver, keeps what was
 * committed across an immediate stop (a crash) and a restart, and its stop leaves no server
 * process. Skipped with one line where PostgreSQL is not installed; mandatory under CI=true.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { openPool, rowsOf } from '../support/pg-pool.js';
import { expect } from 'vitest';
import { startPostgresCluster } from '../support/postgres-cluster.js';
import { POSTGRES, requiring } from '../support/system-component.js';

const pg = requiring(POSTGRES, "the PostgreSQL storage tests");

/** Pids of live processes whose command line is PostgreSQL's server on `port`. */
function serversOnPort(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (/\bpostgres\b/.test(cmdline) && cmdline.includes(`port=${port}`)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

pg.describe('a throwaway PostgreSQL cluster', () => {
  pg.it('serves on 127.0.0.1, keeps a commit across an immediate stop and a restart, and stops without a trace', async () => {
    const cluster = await startPostgresCluster(pg.path!);
    try {
      expect(cluster.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      let sql = openPool(cluster.url);
      await sql.query('create table t (n int primary key)');
      await sql.query('insert into t values ($1)', [1]);
      await sql.end();
      cluster.restart();
      sql = openPool(cluster.url);
      expect((await rowsOf(sql, 'select n from t')).map((r) => r['n'])).toEqual([1]);
      await sql.end();
      expect(serversOnPort(cluster.port).length).toBeGreaterThan(0);
    } finally {
      cluster.stop();
    }
    expect(serversOnPort(cluster.port)).toEqual([]);
  }, 120_000);
});
