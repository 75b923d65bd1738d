/**
 * The PostgreSQL backend of `PartitionStore`: every partition's rows in the tables of
 * `migrations.ts`, on a connection pool the caller owns. A handle is opened (its bookkeeping
 * loaded) on first acquire and closed when its last user releases it: unlike a file, reopening
 * costs no descriptor, and a handle kept idle would only grow stale while other nodes write.
 */
import type { Pool } from 'pg';
import type { Logger } from '../../../store/logger.js';
import { silentLogger } from '../../../store/logger.js';
import type { FoldPolicy } from '../file/file-partition.js';
import { DEFAULT_FOLD_POLICY, DEFAULT_HISTORY_RETENTION_MS } from '../file/file-partition-store.js';
import type { PartitionStore } from '../server-storage.js';
import { SharedHandles } from '../shared-handles.js';
import { initialEpoch, readInstallationId } from './initial-epoch.js';
import { migrate } from './migrations.js';
import { StateReaderSlots } from './state-reader-slots.js';
import { PostgresPartition, type PostgresPartitionOptions } from './postgres-partition.js';
import { toSafeInteger } from './transaction.js';

/** Options of {@link openPostgresPartitionStore}. */
export interface PostgresPartitionStoreOptions {
  /** The clock of the folds the store starts (default `Date.now`). */
  readonly now?: () => number;
  /** Tombstones older than this are dropped by the folds the store starts (default: the file backend's, 30 days). */
  readonly historyRetentionMs?: number;
  /** Where background fold failures are told (default: nowhere). */
  readonly logger?: Logger;
  /** When the store folds on its own, and how many changeset bytes one fold transaction takes (defaults: the file backend's). */
  readonly foldPolicy?: Partial<FoldPolicy>;
  /**
   * How many state readers may be open at once (each holds a pooled connection while its
   * client reads); `readState` past it waits, first come first served, for one to end. Default:
   * half the pool's `max` (at least 1), so uploads always find connections.
   */
  readonly maxStateReaders?: number;
  /**
   * How long (ms) a state reader may sit between batches before PostgreSQL ends its
   * transaction, giving its connection and slot back (its next batch then fails with a
   * `StateReaderLostError`); 0 for no bound. Default 60,000.
   */
  readonly stateReaderIdleTimeoutMs?: number;
}

/** The pool size `pg` uses when `max` is not given. */
const PG_DEFAULT_POOL_MAX = 10;

/** See {@link PostgresPartitionStoreOptions.stateReaderIdleTimeoutMs}. */
export const DEFAULT_STATE_READER_IDLE_TIMEOUT_MS = 60_000;

/** A {@link PartitionStore} on PostgreSQL. */
export interface PostgresPartitionStore extends PartitionStore {
  /** As `PartitionStore.acquire`; the handle has `refresh()` besides the port's methods. */
  acquire(partition: string): Promise<PostgresPartition>;
  /**
   * Waits for the handles' appends and folds and ends the state readers still open (their
   * transactions); a `readState` waiting for a reader slot rejects; nothing is acquired after
   * it. It does not end the connection pool it was given: the caller owns that and ends it after
   * this.
   */
  close(): Promise<void>;
}

/**
 * Brings the database behind `pool` to this code's schema (`migrate`) and opens the store on
 * it. `pool` is used as given (size, timeouts): a state reader holds one of its connections
 * while it is open, so at most `maxStateReaders` (default half the pool) are open at once. The
 * caller owns the pool (the store never ends it) and must listen for its `error` event: an idle
 * connection dying (a database restart) emits it there, and unheard it ends the process.
 */
export async function openPostgresPartitionStore(pool: Pool, options: PostgresPartitionStoreOptions = {}): Promise<PostgresPartitionStore> {
  const maxStateReaders = options.maxStateReaders ?? Math.max(1, Math.floor((pool.options.max ?? PG_DEFAULT_POOL_MAX) / 2));
  const idleTimeoutMs = options.stateReaderIdleTimeoutMs ?? DEFAULT_STATE_READER_IDLE_TIMEOUT_MS;
  if (!Number.isSafeInteger(idleTimeoutMs) || idleTimeoutMs < 0) throw new RangeError(`stateReaderIdleTimeoutMs ${String(idleTimeoutMs)} is not a whole number ≥ 0`);
  const slots = new StateReaderSlots(maxStateReaders);
  await migrate(pool);
  const installationId = await readInstallationId(pool);
  return new PostgresStore(pool, options, (partition) => initialEpoch(installationId, partition), { slots, idleTimeoutMs });
}

class PostgresStore implements PostgresPartitionStore {
  private readonly handles: SharedHandles<PostgresPartition>;
  private readonly readers = new Set<{ close(): Promise<void> }>();
  private readonly slots: StateReaderSlots;
  private readonly partitionOptions: PostgresPartitionOptions;
  private readonly logger: Logger;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    options: PostgresPartitionStoreOptions,
    initialEpochOf: (partition: string) => string,
    readers: { readonly slots: StateReaderSlots; readonly idleTimeoutMs: number },
  ) {
    this.slots = readers.slots;
    this.logger = options.logger ?? silentLogger;
    this.handles = new SharedHandles((message, details) => this.logger.warn(message, details));
    this.partitionOptions = {
      logger: this.logger,
      foldPolicy: { ...DEFAULT_FOLD_POLICY, ...options.foldPolicy },
      historyRetentionMs: options.historyRetentionMs ?? DEFAULT_HISTORY_RETENTION_MS,
      now: options.now ?? Date.now,
      readers: { registry: this.readers, slots: readers.slots, idleTimeoutMs: readers.idleTimeoutMs },
      initialEpoch: initialEpochOf,
    };
  }

  async acquire(partition: string): Promise<PostgresPartition> {
    if (this.closed) throw new Error('the partition store is closed');
    return this.handles.acquire(partition, () => this.open(partition));
  }

  release(partition: string): Promise<void> {
    return this.handles.release(partition, (handle) => handle.close());
  }

  async behind(partitions: readonly string[]): Promise<readonly string[]> {
    const open = new Map<string, PostgresPartition>();
    for (const partition of partitions) {
      const handle = this.handles.peek(partition);
      if (handle !== undefined) open.set(partition, handle);
    }
    if (open.size === 0) return [];
    const { rows } = await this.pool.query<{ partition: string; epoch: string; latest: unknown; state_version: unknown }>(
      'select partition, epoch, latest, state_version from sync_partitions where partition = any($1::text[])',
      [[...open.keys()]],
    );
    return rows
      .filter((row) => {
        const handle = open.get(row.partition)!;
        return row.epoch !== handle.epoch || toSafeInteger(row.latest) !== handle.latest || toSafeInteger(row.state_version) !== handle.stateVersion;
      })
      .map((row) => row.partition);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.slots.close(new Error('the partition store is closed'));
    // Readers first: their connections go back before the handles wait for their appends, which
    // may be waiting for a connection (a pool no bigger than `maxStateReaders`).
    await Promise.all([...this.readers].map((reader) => reader.close()));
    const { handles, closing } = await this.handles.drain();
    await Promise.all([...handles.map((handle) => handle.close()), ...closing]);
    // And any that finished opening meanwhile (they held a slot before close began).
    await Promise.all([...this.readers].map((reader) => reader.close()));
  }

  private async open(partition: string): Promise<PostgresPartition> {
    return PostgresPartition.open(this.pool, partition, this.partitionOptions);
  }
}
