/**
 * Transactions of the PostgreSQL backend on a `pg` (node-postgres) pool, written once: every
 * store checks out a client, runs `BEGIN`, its statements and `COMMIT`, and on any error tries a
 * `ROLLBACK` (when the connection is still alive) and then DESTROYS the client
 * (`release(error)`), so a connection that died, or whose state is unknown, mid-transaction is
 * never handed to another transaction. (The `postgres` driver this replaced threw an uncaught
 * TypeError from its own ROLLBACK when a connection died inside `sql.begin()`, and could run a
 * dead transaction's statements inside another one: porsager/postgres#1208, #1133, #1216.)
 *
 * A checked-out `pg` client has no `error` listener of the pool's (the pool listens only while
 * a client is idle), and a client whose connection dies emits `error`: with no listener, that
 * is an uncaught exception that ends the process. So a transaction listens for the whole time
 * it holds its client and remembers that the connection died.
 *
 * The caller of the stores owns the pool, and must itself listen for the pool's `error` event
 * (`pool.on('error', …)`): an idle client whose connection dies (a database restart) emits it
 * there, and an unheard `error` event crashes the process.
 */
import type { Pool, PoolClient, QueryResultRow } from 'pg';

/** How a transaction begins: `readWrite` (the default: read committed) or a read-only snapshot. */
export type TransactionMode = 'readWrite' | 'repeatableReadReadOnly';

/** The `BEGIN` of each mode: constant text, never built from a value. */
const BEGIN: Readonly<Record<TransactionMode, string>> = {
  readWrite: 'begin',
  repeatableReadReadOnly: 'begin isolation level repeatable read read only',
};

/** Options of {@link withTransaction} and {@link beginTransaction}. */
export interface TransactionOptions {
  /** Default `readWrite`. */
  readonly mode?: TransactionMode;
  /**
   * Told (once, with the client's error) when the connection dies while the transaction holds
   * it, also between statements: a transaction held open across calls (a state reader) learns
   * it at once rather than at its next statement, and can give the dead client back.
   */
  readonly onConnectionLost?: (error: unknown) => void;
}

/** The statements of one transaction: a client's `query`, parameterized. */
export interface Transaction {
  /** Runs `text` with `values` as its `$1, $2…` parameters and resolves its rows. */
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R[]>;
}

/**
 * A transaction begun and held open by its caller (the state reader keeps one across calls):
 * exactly one of `commit` or `abort` ends it and gives the client back.
 */
export interface HeldTransaction extends Transaction {
  /** Commits and returns the client to the pool; if the commit fails, the client is destroyed and the error thrown. */
  commit(): Promise<void>;
  /** Rolls back if the connection is still alive and destroys the client (never reused). Never rejects. */
  abort(error: unknown): Promise<void>;
  /**
   * Rolls back what the transaction did, as its outcome rather than its failure: the client goes
   * back to the pool for reuse. If the rollback fails, the client is destroyed and the error thrown.
   */
  rollback(): Promise<void>;
  /** Whether the connection died (its client emitted `error`) while this transaction held it. */
  readonly dead: boolean;
}

/** `error` as an Error, for `release(error)` (which destroys the client). */
const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * Checks a client out of `pool` and begins a transaction on it (see the module's comment). A
 * failing `BEGIN` destroys the client and rejects.
 */
export async function beginTransaction(pool: Pool, options: TransactionOptions = {}): Promise<HeldTransaction> {
  const client: PoolClient = await pool.connect();
  let dead = false;
  let ended = false;
  // Heard for as long as this transaction holds the client: the death of its connection
  // rejects the query under way (or the next one), and must not also crash the process.
  const onError = (error: unknown): void => {
    if (dead) return;
    dead = true;
    options.onConnectionLost?.(error);
  };
  client.on('error', onError);
  const giveBack = (error?: Error): void => {
    if (ended) return;
    ended = true;
    client.removeListener('error', onError);
    client.release(error);
  };
  const held: HeldTransaction = {
    get dead() {
      return dead;
    },
    async query<R extends QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R[]> {
      if (ended) throw new Error('the transaction is over');
      const result = await client.query<R>(text, values === undefined ? undefined : [...values]);
      return result.rows;
    },
    async commit() {
      if (ended) throw new Error('the transaction is over');
      try {
        await client.query('commit');
      } catch (error) {
        // The commit's outcome is unknown (its answer may be lost with the connection): the
        // client goes, and the caller learns that this transaction may not have committed.
        giveBack(asError(error));
        throw error;
      }
      giveBack();
    },
    async rollback() {
      if (ended) throw new Error('the transaction is over');
      try {
        await client.query('rollback');
      } catch (error) {
        giveBack(asError(error));
        throw error;
      }
      giveBack();
    },
    async abort(error) {
      if (ended) return;
      if (!dead) {
        // Alive as far as the client knows: end the transaction on the server before the
        // connection is closed (a dead one fails at once; either way the client is destroyed).
        await client.query('rollback').catch(() => undefined);
      }
      giveBack(asError(error));
    },
  };
  try {
    await client.query(BEGIN[options.mode ?? 'readWrite']);
  } catch (error) {
    await held.abort(error);
    throw error;
  }
  return held;
}

/**
 * Runs `work` in one transaction on a client of `pool`: `BEGIN` (in `options.mode`), `work`,
 * `COMMIT`. If anything fails (a statement, `work` itself, or the commit), the transaction is
 * rolled back where the connection is alive, the client is destroyed rather than reused, and
 * the error is rethrown.
 */
export async function withTransaction<T>(pool: Pool, options: TransactionOptions, work: (tx: Transaction) => Promise<T>): Promise<T> {
  const tx = await beginTransaction(pool, options);
  let result: T;
  try {
    result = await work(tx);
  } catch (error) {
    await tx.abort(error);
    throw error;
  }
  await tx.commit();
  return result;
}

/**
 * An `int8` (bigint) or `numeric` column, or a `count(*)`, which `pg` hands as a string (an
 * `int4` it hands as a number), as a number: one that is not a safe integer throws rather than
 * lose precision silently.
 */
export function toSafeInteger(value: unknown, what = 'a bigint column'): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} holds ${String(value)}, not a safe integer`);
  return n;
}
