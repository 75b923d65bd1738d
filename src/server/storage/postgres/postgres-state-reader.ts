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
 * back while it is open), which is why a reader lets go of it as soon as its last batch is read.
 */
import type { Sql, TransactionSql } from 'postgres';
import type { StateBatch, StateReader } from '../server-storage.js';

/** Documents fetched per query: a batch's memory beyond `maxBytes` is at most one page. */
const PAGE_ROWS = 128;

/** A bigint column as porsager returns it (text by default) as a number. */
export const asNumber = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

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

/**
 * Opens a reader of `partition`'s documents with `v > after`, on a transaction of its own on
 * `sql`. The snapshot is taken by its first query, so a fold that commits after this resolves
 * does not change what it reads.
 */
export async function openPostgresStateReader(sql: Sql, partition: string, after: number, registry: ReaderRegistry): Promise<StateReader> {
  let letGo!: () => void;
  const released = new Promise<void>((resolve) => (letGo = resolve));
  let begun!: (tx: TransactionSql) => void;
  const txReady = new Promise<TransactionSql>((resolve) => (begun = resolve));
  const transaction = sql.begin('isolation level repeatable read read only', async (tx) => {
    begun(tx);
    await released;
  });
  // A begin that fails (no connection) never hands out a transaction: its error is the reader's.
  const tx = await Promise.race([txReady, transaction.then(() => Promise.reject(new Error('the state reader transaction ended before it began')))]);
  const end = async (): Promise<void> => {
    letGo();
    await transaction.catch(() => undefined);
  };
  try {
    const [row] = await tx<Array<{ state_version: unknown; state_bytes: unknown }>>`
      select state_version, state_bytes from sync_partitions where partition = ${partition}`;
    const stateVersion = row === undefined ? 0 : asNumber(row.state_version);
    if (row === undefined || after >= stateVersion) {
      await end();
      return new EmptyStateReader(stateVersion);
    }
    let totalBytes: number;
    if (after <= 0) totalBytes = asNumber(row.state_bytes);
    else {
      const [sum] = await tx<Array<{ bytes: unknown }>>`
        select coalesce(sum(octet_length(json)), 0) as bytes from sync_documents where partition = ${partition} and v > ${after}`;
      totalBytes = asNumber(sum!.bytes);
    }
    if (totalBytes === 0) {
      await end();
      return new EmptyStateReader(stateVersion);
    }
    const reader = new PostgresStateReader(stateVersion, totalBytes, tx, partition, after, end, registry);
    registry.add(reader);
    return reader;
  } catch (error) {
    await end();
    throw error;
  }
}

class EmptyStateReader implements StateReader {
  readonly totalBytes = 0;
  constructor(readonly stateVersion: number) {}
  next(): Promise<StateBatch> {
    return Promise.resolve({ documentJson: [], remainingBytes: 0, done: true });
  }
  close(): Promise<void> {
    return Promise.resolve();
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

  constructor(
    readonly stateVersion: number,
    readonly totalBytes: number,
    private readonly tx: TransactionSql,
    private readonly partition: string,
    private readonly after: number,
    private readonly end: () => Promise<void>,
    private readonly registry: ReaderRegistry,
  ) {
    this.remaining = totalBytes;
  }

  async next(maxBytes: number): Promise<StateBatch> {
    if (this.closed) return { documentJson: [], remainingBytes: 0, done: true };
    if (this.busy !== undefined) throw new Error('a state reader reads one batch at a time');
    const run = this.read(maxBytes);
    this.busy = run;
    try {
      return await run;
    } finally {
      this.busy = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A batch under way reads on to its end on the transaction, which ends after it.
    await this.busy?.catch(() => undefined);
    this.registry.delete(this);
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
    this.registry.delete(this);
    await this.end();
  }

  private async fetch(): Promise<void> {
    const c = this.cursor;
    const rows = await (c === undefined
      ? this.tx<Array<{ v: unknown; type: string; id: string; json: string }>>`
          select v, type, id, json from sync_documents
          where partition = ${this.partition} and v > ${this.after}
          order by v, type, id limit ${PAGE_ROWS}`
      : this.tx<Array<{ v: unknown; type: string; id: string; json: string }>>`
          select v, type, id, json from sync_documents
          where partition = ${this.partition} and (v, type, id) > (${c.v}::bigint, ${c.type}::text, ${c.id}::text)
          order by v, type, id limit ${PAGE_ROWS}`);
    for (const r of rows) this.page.push({ v: asNumber(r.v), type: r.type, id: r.id, json: r.json, bytes: Buffer.byteLength(r.json, 'utf8') });
    const last = this.page[this.page.length - 1];
    if (last !== undefined) this.cursor = { v: last.v, type: last.type, id: last.id };
    if (rows.length < PAGE_ROWS) this.exhausted = true;
  }
}
