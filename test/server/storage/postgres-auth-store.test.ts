/**
 * The PostgreSQL auth store against a real, throwaway PostgreSQL: the acceptance suite every
 * AuthStore backend runs (a fresh database per storage), with its fault hooks done as a database
 * meets them, and what only a shared database asks: nodes racing for the token secret on a fresh
 * database, and concurrent writes of two nodes. Skipped with one line without PostgreSQL;
 * mandatory under CI=true.
 */
import { randomBytes } from 'node:crypto';
import { openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { PasswordHash } from '../../../src/server/password-hash.js';
import { migrate } from '../../../src/server/storage/postgres/migrations.js';
import { openPostgresAuthStore, TOKEN_SECRET_NAME } from '../../../src/server/storage/postgres/postgres-auth-store.js';
import type { AuthStore, StoredUser } from '../../../src/server/storage/server-storage.js';
import { createDatabase, openPool, rowsOf } from '../../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { POSTGRES, requiring } from '../../support/system-component.js';
import { runAuthStoreAcceptance, type AuthRecordKind, type AuthStoreTarget } from './auth-acceptance.js';

const pgAvailable = requiring(POSTGRES, 'the PostgreSQL storage tests');
let cluster: PostgresCluster | undefined;
/** Every pool this file opened that is not ended yet: afterAll ends what a failed test left. */
const pools = new Set<pg.Pool>();

/** A pool on `url` that the file's cleanup knows of. */
function pool(url: string, max = 2): pg.Pool {
  // Idle connections close after a second: the property test's 40 storages stay until its end.
  const sql = openPool(url, max, 1000);
  pools.add(sql);
  return sql;
}

/** Ends `sql` and forgets it. */
async function end(sql: pg.Pool): Promise<void> {
  pools.delete(sql);
  await sql.end();
}

/** Runs `work` on a one-connection pool to the cluster's `postgres` database, then ends it. */
async function asAdmin<T>(work: (admin: pg.Pool) => Promise<T>): Promise<T> {
  const admin = pool(cluster!.url, 1);
  try {
    return await work(admin);
  } finally {
    await end(admin);
  }
}

/** A new, empty database of the cluster: its name and URL. */
async function freshDatabase(): Promise<{ name: string; url: string }> {
  return createDatabase(cluster!.url, 'auth');
}

const tableOf = (kind: AuthRecordKind): string => (kind === 'user' ? 'sync_users' : 'sync_revoked_users');

/**
 * One acceptance storage: a database of its own. Each `open` gets a pool of its own, as a
 * restarted node would (and so a cluster restart by `damageRecord` leaves no dead connection in
 * a later one); the pools are the target's, ended at teardown, since the store does not own them.
 */
async function setup(): Promise<AuthStoreTarget> {
  const { name, url } = await freshDatabase();
  const opened: pg.Pool[] = [];
  // The schema is there before any hook forges a row, as a node that ever opened it left it.
  /** Runs `work` on a connection to this storage's database, ended after. */
  const onDatabase = async <T>(work: (sql: pg.Pool) => Promise<T>): Promise<T> => {
    const sql = pool(url, 1);
    try {
      return await work(sql);
    } finally {
      await end(sql);
    }
  };
  await onDatabase((sql) => migrate(sql));
  return {
    open: async () => {
      // The store opened before is closed by now (a reopen): its pool goes, as the node's would.
      for (const previous of opened.splice(0)) await end(previous);
      const sql = pool(url);
      opened.push(sql);
      return openPostgresAuthStore(sql);
    },
    teardown: async () => {
      for (const sql of opened.splice(0)) await end(sql);
      await asAdmin((admin) => admin.query(`drop database ${name} with (force)`));
    },
    faults: {
      // A database's torn write is a transaction its server process died in before it committed:
      // the row is written (in the heap, and its `seq` taken) but never visible. The backend is
      // killed from another connection mid-transaction, as a crash of it would leave things.
      tearLastRecord: async (kind) => {
        const insert =
          kind === 'user'
            ? `insert into sync_users (email, record) values ('torn@example.com', '{"email":"torn@example.com","userId":"torn"}')`
            : `insert into sync_revoked_users (user_id) values ('torn')`;
        // One simple-protocol query: the transaction is open, its row written, when its own
        // server process is terminated (FATAL), so it never reaches a commit.
        const writer = new pg.Client({ connectionString: url });
        // Its connection dies by design: the client's error event is heard, not an uncaught one.
        writer.on('error', () => undefined);
        await writer.connect();
        // Without parameters, pg sends the text as one simple query (several statements).
        const cut = await writer.query(`begin; ${insert}; select pg_terminate_backend(pg_backend_pid()); commit`).then(
          () => 'committed',
          (error: unknown) => String(error),
        );
        await writer.end().catch(() => undefined);
        expect(cut).toMatch(/terminating connection|Connection terminated/);
      },
      // Damage is a page of the table's file that no longer reads as a page (a disk or filesystem
      // that broke it): the table is checkpointed, its first block overwritten on disk, and the
      // server crashed and restarted so that nothing but the file holds the page.
      damageRecord: async (kind) => {
        const table = tableOf(kind);
        const file = await onDatabase(async (sql) => {
          // Read once first, so hint bits are set and flushed by the checkpoint: no read after it
          // dirties the page again (a dirty buffer is dropped by the crash, never written).
          await sql.query(`select * from ${table}`);
          await sql.query('checkpoint');
          const [{ dir }] = (await rowsOf<{ dir: string }>(sql, `select current_setting('data_directory') as dir`)) as [{ dir: string }];
          const [{ path }] = (await rowsOf<{ path: string }>(sql, 'select pg_relation_filepath($1) as path', [table])) as [{ path: string }];
          return { dir, path };
        });
        const fd = openSync(join(file.dir, file.path), 'r+');
        try {
          // A page header no page has (pd_lower and pd_upper past the page's end).
          writeSync(fd, Buffer.alloc(24, 0xff), 0, 24, 0);
        } finally {
          closeSync(fd);
        }
        cluster!.restart();
        return `cannot read ${table}: invalid page in block 0 of relation ${file.path}`;
      },
      forgeUser: async (record) => {
        // The email column is the store's index of the record: what addUser would put there.
        const email = typeof record === 'object' && record !== null && typeof (record as { email?: unknown }).email === 'string' ? (record as { email: string }).email : '';
        await onDatabase((sql) => sql.query('insert into sync_users (email, record) values ($1, $2::jsonb)', [email, JSON.stringify(record)]));
      },
      // A text column holds only strings: a revocation whose id is a number, null, an object or
      // an array cannot be stored at all (the insert is refused or the id becomes its text), so
      // the hostile ids a file can hold have no row to become; a string is stored as is.
      forgeRevocation: async (userId) => {
        if (typeof userId !== 'string') return;
        await onDatabase((sql) => sql.query('insert into sync_revoked_users (user_id) values ($1)', [userId]));
      },
      forgeSecret: async (secret) => {
        await onDatabase((sql) => sql.query('insert into sync_secrets (name, value) values ($1, $2) on conflict (name) do update set value = excluded.value', [TOKEN_SECRET_NAME, secret]));
      },
    },
  };
}

const hash = (): PasswordHash => ({ algorithm: 'scrypt', N: 2 ** 15, r: 8, p: 1, salt: randomBytes(16).toString('base64'), key: randomBytes(32).toString('base64') });

pgAvailable.describe('the PostgreSQL auth store', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([...pools].map((sql) => end(sql)));
    cluster?.stop();
  });

  runAuthStoreAcceptance('postgres', setup);

  describe('two nodes on one database', () => {
    pgAvailable.it('racing for the token secret on a fresh database get the same one; eight adds and revocations at once from both all read back', async () => {
      const { name, url } = await freshDatabase();
      const mine: pg.Pool[] = [];
      const connection = (): pg.Pool => {
        const sql = pool(url, 1);
        mine.push(sql);
        return sql;
      };
      const stores: AuthStore[] = [];
      try {
        for (let round = 0; round < 5; round++) {
          // No secret stored (a fresh database in round 0, emptied after): both nodes make one at once, one wins.
          if (round > 0) await connection().query('delete from sync_secrets');
          const [a, b] = await Promise.all([openPostgresAuthStore(connection()), openPostgresAuthStore(connection())]);
          stores.unshift(a!, b!);
          const [sa, sb] = await Promise.all([a!.tokenSecret(), b!.tokenSecret()]);
          expect(sa).toBe(sb);
          expect(sa!.length).toBeGreaterThanOrEqual(32);
          // What both got is what is stored.
          expect((await rowsOf(connection(), 'select value from sync_secrets')).map((r) => r['value'])).toEqual([sa]);
        }
        const [a, b] = stores as [AuthStore, AuthStore];
        const users: StoredUser[] = Array.from({ length: 8 }, (_, i) => ({ email: `n${i}@example.com`, userId: `u${i}`, password: hash() }));
        await Promise.all([
          ...users.map((user, i) => (i % 2 === 0 ? a : b).addUser(user)),
          ...users.map((user, i) => (i % 2 === 0 ? b : a).revoke(user.userId)),
          // The same id revoked by both at once is stored once.
          a.revoke('both'),
          b.revoke('both'),
        ]);
        const byEmail = (list: readonly StoredUser[]) => [...list].sort((x, y) => x.email.localeCompare(y.email));
        for (const store of [a, b]) {
          expect(byEmail(await store.users())).toEqual(users);
          expect([...(await store.revokedUsers())].sort()).toEqual([...users.map((u) => u.userId), 'both'].sort());
        }
      } finally {
        for (const store of stores) await store.close();
        for (const sql of mine) await end(sql);
        await asAdmin((admin) => admin.query(`drop database ${name} with (force)`));
      }
    });
  });
});
