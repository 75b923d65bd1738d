/**
 * A read of one partition's state documents from PostgreSQL, pinned to one state generation.
 *
 * How it is pinned: the reader holds a `REPEATABLE READ READ ONLY` transaction from its first
 * query until it is done or closed, so every batch reads the snapshot taken then: the partition
 * row's `state_version` and the documents as of that instant, whatever folds and resets commit
 * meanwhile (MVCC keeps the old row versions for the snapshot; a reader blocks no writer and no
 * writer blocks it). Chosen over generation-numbered document rows because those would make
 * every fold copy or version the rows it replaces and need a sweep for generations no reader
 * holds; the cost here is one pooled connection per open reader (and the vacuum horizon held
 * back while it is open), which is why a reader lets go of it as soon as its last batch is read,
 * why a store bounds how many are open at once (`state-reader-slots.ts`), and why PostgreSQL
 * ends one left idle between batches past a timeout (a caller that never closes it).
 */
import type { Pool } from 'pg';
import { EmptyStateReader } from '../empty-state-reader.js';
import type { StateBatch, StateReader } from '../server-storage.js';
import { beginTransaction, toSafeInteger, type HeldTransaction, type Transaction } from './transaction.js';
import type { StateReaderSlots } from './state-reader-slots.js';

/** Documents fetched per query: a batch's memory beyond `maxBytes` is at most one page. */
const PAGE_ROWS = 128;

interface Row {
  readonly v: number;
  readonly type: string;
  readonly id: string;
  readonly json: string;
  readonly bytes: number;
}

/** Something to tell when a reader lets go, so the store can close readers left open. */
export interface ReaderRegistry {
  /** A reader opened. */
  add(reader: { close(): Promise<void> }): void;
  /** A reader let go of its transaction. */
  delete(reader: { close(): Promise<void> }): void;
}

/** What the readers of one store share. */
export interface StateReaderContext {
  /** The readers open (the store ends those still open when it closes). */
  readonly registry: ReaderRegistry;
  /** How many may be open at once; the others wait for a slot. */
  readonly slots: StateReaderSlots;
  /**
   * How long (ms) a reader may sit between batches before PostgreSQL ends its transaction
   * (`idle_in_transaction_session_timeout`, for this transaction only), 0 for no bound: a
   * reader its caller never closes (a client that died unnoticed) holds its connection and its
   * slot this long at most.
   */
  readonly idleTimeoutMs: number;
}

/** Why a state reader can read no more: its transaction ended under it, and its snapshot with it. */
export class StateReaderLostError extends Error {
  override readonly name = 'StateReaderLostError';
  constructor(
    /** `idleTimeout`: it sat between batches past `idleTimeoutMs`; `connectionLost`: its connection died otherwise. */
    readonly code: 'idleTimeout' | 'connectionLost',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The error a reader reports once its connection died with `error`. */
function lostError(error: unknown, idleTimeoutMs: number): StateReaderLostError {
  // 25P03: idle_in_transaction_session_timeout (the server ended the session).
  if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '25P03') {
    return new StateReaderLostError(
      'idleTimeout',
      `the state read sat longer than ${idleTimeoutMs} ms between batches, so PostgreSQL ended its transaction (idle_in_transaction_session_timeout): its snapshot is gone; open a new read`,
      { cause: error },
    );
  }
  return new StateReaderLostError('connectionLost', `the state read's connection to PostgreSQL was lost (${String(error)}): its snapshot is gone; open a new read`, { cause: error });
}

/**
 * Opens a reader of `partition`'s documents with `v > after`, once a slot of `context.slots` is
 * free (FIFO), on a transaction of its own on a client of `pool`, held until the reader is done
 * or closed (then given back to the pool) or a query of it fails or its connection dies (then
 * rolled back where possible and the client destroyed); the slot is given back with the client.
 * The snapshot is taken by its first query, so a fold that commits after this resolves does not
 * change what it reads.
 */
export async function openPostgresStateReader(pool: Pool, partition: string, after: number, context: StateReaderContext): Promise<StateReader> {
  const giveBack = await context.slots.take();
  let onLost: ((error: unknown) => void) | undefined;
  let held: HeldTransaction;
  try {
    held = await beginTransaction(pool, { mode: 'repeatableReadReadOnly', onConnectionLost: (error) => onLost?.(error) });
  } catch (error) {
    giveBack();
    throw error;
  }
  /** Ends the transaction: a read-only one has nothing to commit, so a failing commit only costs the client. */
  const end = async (): Promise<void> => {
    await held.commit().catch(() => undefined);
    giveBack();
  };
  /** Rolls back where possible and destroys the client (never rejects). */
  const abort = async (error: unknown): Promise<void> => {
    await held.abort(error);
    giveBack();
  };
  try {
    if (context.idleTimeoutMs > 0) {
      await held.query(`select set_config('idle_in_transaction_session_timeout', $1, true)`, [String(context.idleTimeoutMs)]);
    }
    const [row] = await held.query<{ epoch: string; state_version: unknown; state_bytes: unknown }>('select epoch, state_version, state_bytes from sync_partitions where partition = $1', [partition]);
    const epoch = row?.epoch;
    const stateVersion = row === undefined ? 0 : toSafeInteger(row.state_version);
    if (row === undefined || after >= stateVersion) {
      await end();
      return new EmptyStateReader(stateVersion, epoch);
    }
    let totalBytes: number;
    if (after <= 0) totalBytes = toSafeInteger(row.state_bytes);
    else {
      const [sum] = await held.query<{ bytes: unknown }>(
        'select coalesce(sum(octet_length(json)), 0) as bytes from sync_documents where partition = $1 and v > $2',
        [partition, after],
      );
      totalBytes = toSafeInteger(sum!.bytes);
    }
    if (totalBytes === 0) {
      await end();
      return new EmptyStateReader(stateVersion, epoch);
    }
    const reader = new PostgresStateReader(stateVersion, epoch, totalBytes, held, partition, after, end, abort, context);
    // Set in the same turn as the last query's answer: a death before it failed a query above.
    onLost = (error) => reader.connectionLost(error);
    context.registry.add(reader);
    return reader;
  } catch (error) {
    await abort(error);
    throw error;
  }
}

class PostgresStateReader implements StateReader {
  private remaining: number;
  /** Fetched rows not handed out yet (at most one page). */
  private page: Row[] = [];
  /** The key of the last row fetched: the next page starts after it (documents ordered by v, then type and id). */
  private cursor: { v: number; type: string; id: string } | undefined;
  private exhausted = false;
  private closed = false;
  private busy: Promise<unknown> | undefined;
  /** Set when the connection died under the reader: what every later `next` throws. */
  private lost: StateReaderLostError | undefined;

  constructor(
    readonly stateVersion: number,
    readonly epoch: string | undefined,
    readonly totalBytes: number,
    private readonly tx: Transaction,
    private readonly partition: string,
    private readonly after: number,
    /** Ends the transaction and gives its client back. */
    private readonly end: () => Promise<void>,
    /** Rolls the transaction back where possible and destroys its client. */
    private readonly abort: (error: unknown) => Promise<void>,
    private readonly context: StateReaderContext,
  ) {
    this.remaining = totalBytes;
  }

  /**
   * The connection died (the idle timeout, or otherwise): the reader gives its client and slot
   * back at once, not at its caller's next call (which may never come), and every later `next`
   * fails with why. Never `done`: the caller would take a read cut short for a whole one.
   */
  connectionLost(error: unknown): void {
    this.lost ??= lostError(error, this.context.idleTimeoutMs);
    // A batch under way fails by itself, and `next` ends the reader then.
    if (this.closed || this.busy !== undefined) return;
    this.closed = true;
    this.context.registry.delete(this);
    void this.abort(error);
  }

  async next(maxBytes: number): Promise<StateBatch> {
    if (this.lost !== undefined) throw this.lost;
    if (this.closed) return { documentJson: [], remainingBytes: 0, done: true };
    if (this.busy !== undefined) throw new Error('a state reader reads one batch at a time');
    const run = this.read(maxBytes);
    this.busy = run;
    try {
      return await run;
    } catch (error) {
      // The transaction is unusable (a failed statement aborts it; a dead connection ends it):
      // the reader is done, and its client is destroyed rather than reused.
      // (A close() waiting for this batch then finds the transaction over: abort and commit are once only.)
      this.closed = true;
      this.context.registry.delete(this);
      await this.abort(error);
      throw this.lost ?? error;
    } finally {
      this.busy = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A batch under way reads on to its end on the transaction, which ends after it.
    await this.busy?.catch(() => undefined);
    this.context.registry.delete(this);
    await this.end();
  }

  private async read(maxBytes: number): Promise<StateBatch> {
    const out: string[] = [];
    let size = 0;
    for (;;) {
      if (this.page.length === 0 && !this.exhausted) await this.fetch();
      const row = this.page[0];
      if (row === undefined) break;
      if (out.length > 0 && size + row.bytes > maxBytes) break;
      this.page.shift();
      out.push(row.json);
      size += row.bytes;
    }
    this.remaining -= size;
    const done = this.page.length === 0 && this.exhausted;
    if (done) await this.closeAfterLast();
    return { documentJson: out, remainingBytes: done ? 0 : this.remaining, done };
  }

  private async closeAfterLast(): Promise<void> {
    this.closed = true;
    this.context.registry.delete(this);
    await this.end();
  }

  private async fetch(): Promise<void> {
    const c = this.cursor;
    const rows = await (c === undefined
      ? this.tx.query<{ v: unknown; type: string; id: string; json: string }>(
          `select v, type, id, json from sync_documents
          where partition = $1 and v > $2
          order by v, type, id limit $3`,
          [this.partition, this.after, PAGE_ROWS],
        )
      : this.tx.query<{ v: unknown; type: string; id: string; json: string }>(
          `select v, type, id, json from sync_documents
          where partition = $1 and (v, type, id) > ($2::bigint, $3::text, $4::text)
          order by v, type, id limit $5`,
          [this.partition, c.v, c.type, c.id, PAGE_ROWS],
        ));
    for (const r of rows) this.page.push({ v: toSafeInteger(r.v), type: r.type, id: r.id, json: r.json, bytes: Buffer.byteLength(r.json, 'utf8') });
    const last = this.page[this.page.length - 1];
    if (last !== undefined) this.cursor = { v: last.v, type: last.type, id: last.id };
    if (rows.length < PAGE_ROWS) this.exhausted = true;
  }
}
