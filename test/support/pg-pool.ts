/**
 * Connection pools of the PostgreSQL tests, on `pg` (node-postgres): every pool listens for its
 * `error` event, as the backend asks of its callers (an idle client whose connection dies, as
 * in a cluster restart or a killed backend, emits it on the pool; unheard, it would end the
 * test process).
 */
import pg from 'pg';

/** A pool of at most `max` connections on `url`; idle ones close after `idleTimeoutMillis`. */
export function openPool(url: string, max = 1, idleTimeoutMillis = 10_000): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis });
  pool.on('error', () => undefined);
  return pool;
}

/** The rows of one parameterized query on `pool`. */
export async function rowsOf<R extends pg.QueryResultRow = pg.QueryResultRow>(pool: pg.Pool, text: string, values: readonly unknown[] = []): Promise<R[]> {
  return (await pool.query<R>(text, [...values])).rows;
}

let created = 0;

/**
 * Creates a new, empty database on the cluster whose `postgres` database is at `clusterUrl`
 * (`PostgresCluster.url`), named `prefix` and a number unique in this process; resolves its name
 * and URL.
 */
export async function createDatabase(clusterUrl: string, prefix: string): Promise<{ name: string; url: string }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new Error(`createDatabase: ${prefix} is not a plain lower-case identifier`);
  const name = `${prefix}_${++created}`;
  const admin = openPool(clusterUrl);
  try {
    // An identifier cannot be a parameter; `name` is checked above.
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return { name, url: clusterUrl.replace(/\/postgres$/, `/${name}`) };
}
