/**
 * The PostgreSQL backend's {@link AuthStore}: users in `sync_users` (one row per `addUser`, the
 * newest row of an email winning), revocations in `sync_revoked_users` (one row per user id),
 * the token secret in `sync_secrets`. Every node of a cluster may use the same database at once:
 * nothing is cached but the token secret (stable once stored), every write is one statement, and
 * the only read-modify-write (the token secret) is decided by the database.
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { MIN_TOKEN_SECRET_LENGTH, type AuthStore } from '../server-storage.js';
import { isStoredUser, type StoredUser } from '../stored-user.js';
import { migrate } from './migrations.js';
import { withTransaction, type Transaction } from './transaction.js';

/** The `sync_secrets` row of the token secret. */
export const TOKEN_SECRET_NAME = 'token';

/**
 * Opens the auth state of the database behind `pool`: brings its schema up to date (`migrate`),
 * then reads every user and revocation once, so a database whose rows cannot be read (damaged
 * pages) refuses the opening, naming the table, rather than serve a server without its users.
 *
 * The caller owns `pool` (the node's, shared with the partition store): `close()` makes this
 * store refuse every later call, and leaves the pool open for the caller to end. The caller
 * must also listen for the pool's `error` event (an idle connection dying, as in a database
 * restart, emits it; unheard, it ends the process).
 */
export async function openPostgresAuthStore(pool: Pool): Promise<AuthStore> {
  await migrate(pool);
  const store = new PostgresAuthStore(pool);
  await store.users();
  await store.revokedUsers();
  return store;
}

/** Only the fields of a {@link StoredUser}, whatever else a record carries. */
const storedFields = ({ email, userId, password }: StoredUser): StoredUser => ({ email, userId, password });

/** Runs `read` on `table`, a failure naming the table (a damaged page names only a file of the cluster). */
async function reading<T>(table: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new Error(`the PostgreSQL auth store cannot read ${table}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The PostgreSQL {@link AuthStore} (see the module's comment). */
class PostgresAuthStore implements AuthStore {
  /** The token secret once read or made: a stored one long enough is never replaced, so it is safe to keep. */
  private secret: string | undefined;
  private closed = false;

  constructor(private readonly pool: Pool) {}

  async users(): Promise<readonly StoredUser[]> {
    this.checkOpen();
    const rows = await reading('sync_users', async () => (await this.pool.query<{ record: unknown }>('select record from sync_users order by seq')).rows);
    // A Map keeps the order emails first came in and lets a later record replace an earlier one.
    // Only records of the stored shape count, so a forged row never displaces a good one.
    const byEmail = new Map<string, StoredUser>();
    for (const { record } of rows) if (isStoredUser(record)) byEmail.set(record.email, storedFields(record));
    return [...byEmail.values()];
  }

  async addUser(user: StoredUser): Promise<void> {
    this.checkOpen();
    // Whatever else an object of this type carries stays out of the row. Sent as JSON text with
    // an explicit cast, so the server parses it (read back, `pg` hands jsonb as an object).
    const record = storedFields(user);
    await this.durably((tx) => tx.query('insert into sync_users (email, record) values ($1, $2::jsonb)', [record.email, JSON.stringify(record)]));
  }

  async revokedUsers(): Promise<readonly string[]> {
    this.checkOpen();
    const rows = await reading('sync_revoked_users', async () => (await this.pool.query<{ user_id: unknown }>('select user_id from sync_revoked_users order by seq')).rows);
    // The column is text, so the driver hands strings; checked all the same, as every backend reads.
    return rows.map((row) => row.user_id).filter((id): id is string => typeof id === 'string');
  }

  async revoke(userId: string): Promise<void> {
    this.checkOpen();
    // Unique by the id's hash (migration 2): a second revocation, also racing on another node,
    // stores nothing and keeps the first one's place.
    await this.durably((tx) => tx.query('insert into sync_revoked_users (user_id) values ($1) on conflict do nothing', [userId]));
  }

  async tokenSecret(): Promise<string> {
    this.checkOpen();
    if (this.secret !== undefined) return this.secret;
    const made = randomBytes(32).toString('hex');
    // One statement decides between nodes: the row lock serializes them, and a later one sees the
    // secret the first stored (its `where` is evaluated on the newest row) and leaves it. A stored
    // secret too short to sign with (forged, or from another tool) is replaced the same way.
    await this.durably(
      (tx) =>
        tx.query(
          `insert into sync_secrets (name, value) values ($1, $2)
          on conflict (name) do update set value = excluded.value
          where char_length(sync_secrets.value) < $3`,
          [TOKEN_SECRET_NAME, made, MIN_TOKEN_SECRET_LENGTH],
        ),
    );
    const { rows } = await this.pool.query<{ value: string }>('select value from sync_secrets where name = $1', [TOKEN_SECRET_NAME]);
    const stored = rows[0]?.value;
    if (stored === undefined || stored.length < MIN_TOKEN_SECRET_LENGTH) throw new Error('the PostgreSQL auth store could not keep a token secret');
    this.checkOpen();
    this.secret = stored;
    return stored;
  }

  async close(): Promise<void> {
    // The pool is the caller's: only this store stops using it.
    this.closed = true;
  }

  /**
   * Runs `write` in a transaction committed with `synchronous_commit` on whatever the server's
   * or role's setting: the promise resolves only once the commit is flushed to the WAL on disk.
   */
  private async durably(write: (tx: Transaction) => Promise<unknown>): Promise<void> {
    await withTransaction(this.pool, {}, async (tx) => {
      await tx.query('set local synchronous_commit to on');
      await write(tx);
    });
  }

  /** A closed store writes nothing more: its caller said it was done with it. */
  private checkOpen(): void {
    if (this.closed) throw new Error('the PostgreSQL auth store is closed');
  }
}
