/**
 * The PostgreSQL backend's migrations against a real, throwaway PostgreSQL: a fresh database
 * gets every version once; a second run and nodes starting at once (concurrent runs on their own
 * connections) apply nothing twice and fail none; a database newer than the code, or one whose
 * record names another migration, is refused untouched; a failing migration leaves the version
 * before it, whole. Skipped with one line without PostgreSQL; mandatory under CI=true.
 */
import type pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { migrate, MIGRATIONS, SchemaMismatchError, type Migration } from '../../../src/server/storage/postgres/migrations.js';
import { createDatabase, openPool, rowsOf } from '../../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { POSTGRES, requiring } from '../../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the PostgreSQL storage tests');
let cluster: PostgresCluster | undefined;
const connections: pg.Pool[] = [];

/** A new, empty database of the cluster and a connection to it (`max` connections). */
async function freshDatabase(max = 1): Promise<{ url: string; sql: pg.Pool }> {
  const { url } = await createDatabase(cluster!.url, 'migrations');
  const sql = openPool(url, max);
  connections.push(sql);
  return { url, sql };
}

const tables = async (sql: pg.Pool): Promise<string[]> =>
  (await rowsOf<{ tablename: string }>(sql, `select tablename from pg_tables where schemaname = 'public' order by tablename`)).map((r) => r.tablename);

pgAvailable.describe('PostgreSQL migrations', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(connections.splice(0).map((c) => c.end()));
    cluster?.stop();
  });

  pgAvailable.it('a fresh database gets every version once; a second run applies nothing', async () => {
    const { sql } = await freshDatabase();
    expect(await migrate(sql)).toEqual({ applied: MIGRATIONS.map((m) => m.version), version: MIGRATIONS.length });
    const created = await tables(sql);
    expect(created).toEqual(expect.arrayContaining(['sync_changesets', 'sync_documents', 'sync_login_attempts', 'sync_migrations', 'sync_origins', 'sync_partitions']));
    expect(await migrate(sql)).toEqual({ applied: [], version: MIGRATIONS.length });
    expect(await tables(sql)).toEqual(created);
    expect((await rowsOf(sql, 'select version, name from sync_migrations')).map((r) => [r['version'], r['name']])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
  });

  pgAvailable.it('eight nodes starting at once, each on its own connection: all succeed and every version is applied once', async () => {
    const { url } = await freshDatabase();
    const nodes = Array.from({ length: 8 }, () => {
      const sql = openPool(url);
      connections.push(sql);
      return sql;
    });
    const reports = await Promise.all(nodes.map((sql) => migrate(sql)));
    expect(reports.flatMap((r) => r.applied).sort()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(reports.every((r) => r.version === MIGRATIONS.length)).toBe(true);
    expect((await rowsOf(nodes[0]!, 'select count(*)::int as n from sync_migrations'))[0]!['n']).toBe(MIGRATIONS.length);
    // One installation id, made by the one run that applied migration 4: every node reads the same.
    expect((await rowsOf(nodes[0]!, 'select count(*)::int as n from sync_installation'))[0]!['n']).toBe(1);
  });

  pgAvailable.it('a database newer than this code, or whose record names another migration, is refused and left as it was', async () => {
    const newer = await freshDatabase();
    await migrate(newer.sql);
    await newer.sql.query(`insert into sync_migrations (version, name) values ($1, 'from a newer node')`, [MIGRATIONS.length + 1]);
    const before = await tables(newer.sql);
    await expect(migrate(newer.sql)).rejects.toMatchObject({ name: 'SchemaMismatchError', code: 'schemaTooNew' });
    expect(await tables(newer.sql)).toEqual(before);

    const diverged = await freshDatabase();
    await migrate(diverged.sql);
    await diverged.sql.query(`update sync_migrations set name = 'something else' where version = 1`);
    await expect(migrate(diverged.sql)).rejects.toMatchObject({ code: 'schemaDiverged' });
  });

  pgAvailable.it('a migration that fails leaves the database at the version before it, with nothing of it', async () => {
    const { sql } = await freshDatabase();
    const failing: Migration[] = [
      { version: 1, name: 'one table', statements: ['create table a (n int)'] },
      { version: 2, name: 'half done', statements: ['create table b (n int)', 'select * from no_such_table'] },
    ];
    await expect(migrate(sql, failing)).rejects.toThrow(/no_such_table/);
    // One transaction for the run: not even version 1 stays, and a corrected list applies whole.
    expect(await tables(sql)).toEqual([]);
    const fixed: Migration[] = [failing[0]!, { version: 2, name: 'half done', statements: ['create table b (n int)'] }];
    expect(await migrate(sql, fixed)).toEqual({ applied: [1, 2], version: 2 });
    expect(await tables(sql)).toEqual(['a', 'b', 'sync_migrations']);
  });

  pgAvailable.it('refuses a list of migrations that is not versions 1, 2, 3… with names and statements, before touching the database', async () => {
    const { sql } = await freshDatabase();
    const bad: Array<readonly Migration[]> = [
      [{ version: 2, name: 'x', statements: ['select 1'] }],
      [
        { version: 1, name: 'x', statements: ['select 1'] },
        { version: 1, name: 'y', statements: ['select 1'] },
      ],
      [{ version: 1, name: '', statements: ['select 1'] }],
      [{ version: 1, name: 'x', statements: [] }],
    ];
    for (const migrations of bad) {
      const error = await migrate(sql, migrations).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemaMismatchError);
      expect(error).toMatchObject({ code: 'badMigrations' });
    }
    expect(await tables(sql)).toEqual([]);
  });
});
