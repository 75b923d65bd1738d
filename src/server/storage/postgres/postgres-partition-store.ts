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
import { PostgresPartition, type PostgresPartitionOptions } from './postgres-partition.js';

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
}

/** A {@link PartitionStore} on PostgreSQL. */
export interface PostgresPartitionStore extends PartitionStore {
  /** As `PartitionStore.acquire`; the handle has `refresh()` besides the port's methods. */
  acquire(partition: string): Promise<PostgresPartition>;
  /**
   * Waits for the handles' appends and folds and ends the state readers still open (their
   * transactions); nothing is acquired after it. It does not end the connection pool it was
   * given: the caller owns that and ends it after this.
   */
  close(): Promise<void>;
}

/**
 * Brings the database behind `pool` to this code's schema (`migrate`) and opens the store on
 * it. `pool` is used as given (size, timeouts): a state reader holds one of its connections
 * while it is open, so the pool needs room for the readers and the writes meanwhile. The caller
 * owns the pool (the store never ends it) and must listen for its `error` event: an idle
 * connection dying (a database restart) emits it there, and unheard it ends the process.
 */
export async function openPostgresPartitionStore(pool: Pool, options: PostgresPartitionStoreOptions = {}): Promise<PostgresPartitionStore> {
  await migrate(pool);
  const installationId = await readInstallationId(pool);
  return new PostgresStore(pool, options, (partition) => initialEpoch(installationId, partition));
}

class PostgresStore implements PostgresPartitionStore {
  private readonly handles: SharedHandles<PostgresPartition>;
  private readonly readers = new Set<{ close(): Promise<void> }>();
  private readonly partitionOptions: PostgresPartitionOptions;
  private readonly logger: Logger;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    options: PostgresPartitionStoreOptions,
    initialEpochOf: (partition: string) => string,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.handles = new SharedHandles((message, details) => this.logger.warn(message, details));
    this.partitionOptions = {
      logger: this.logger,
      foldPolicy: { ...DEFAULT_FOLD_POLICY, ...options.foldPolicy },
      historyRetentionMs: options.historyRetentionMs ?? DEFAULT_HISTORY_RETENTION_MS,
      now: options.now ?? Date.now,
      readers: this.readers,
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

  async close(): Promise<void> {
    this.closed = true;
    const { handles, closing } = await this.handles.drain();
    await Promise.all([...handles.map((handle) => handle.close()), ...closing]);
    await Promise.all([...this.readers].map((reader) => reader.close()));
  }

  private async open(partition: string): Promise<PostgresPartition> {
    return PostgresPartition.open(this.pool, partition, this.partitionOptions);
  }
}
