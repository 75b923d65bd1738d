/**
 * The file backend of `PartitionStore`: every partition in its own directory under one root
 * (`partition-files.ts`), opened on first use, and at most `maxOpenHistories` of them holding
 * files at once.
 */
import type { Logger } from '../../../store/logger.js';
import { OpenFileBudget } from '../../open-file-budget.js';
import type { PartitionHandle, PartitionStore } from '../server-storage.js';
import { FilePartition, type FilePartitionOptions, type FoldPolicy } from './file-partition.js';
import { convertLegacyHistory } from './legacy-history.js';

/** Partitions kept open (bookkeeping only, no descriptor) after their last user released them. */
export const IDLE_PARTITIONS = 16;

/** The defaults of {@link FilePartitionStoreOptions.foldPolicy}. */
export const DEFAULT_FOLD_POLICY: FoldPolicy = Object.freeze({ minTailBytes: 1024 * 1024, tailFraction: 0.5, chunkBytes: 16 * 1024 * 1024 });

/** How long tombstones are kept by default: 30 days. */
export const DEFAULT_HISTORY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** Options of {@link openFilePartitionStore}. */
export interface FilePartitionStoreOptions {
  /** `full`: an fsync per append; `batched`: appends that arrive while a sync is due share it. */
  readonly durability: 'full' | 'batched';
  readonly logger: Logger;
  /** At most this many partitions hold files open at once (default: no bound). */
  readonly maxOpenHistories?: number;
  /** When the store folds on its own (defaults {@link DEFAULT_FOLD_POLICY}). */
  readonly foldPolicy?: Partial<FoldPolicy>;
  /** Tombstones older than this are dropped by the folds the store starts (default {@link DEFAULT_HISTORY_RETENTION_MS}). */
  readonly historyRetentionMs?: number;
  /** The clock of those folds (default `Date.now`). */
  readonly now?: () => number;
}

/** A {@link PartitionStore} on files. */
export interface FilePartitionStore extends PartitionStore {
  /** How many partitions may hold files open now (at most `maxOpenHistories`). */
  readonly openPartitionFiles: number;
  /** Waits for running folds, syncs and closes every partition; nothing is acquired after it. */
  close(): Promise<void>;
}

interface Entry {
  readonly opening: Promise<FilePartition>;
  users: number;
}

/**
 * Opens the partitions under `dir` (the server's `partitions` directory; made with the first
 * partition written). Old single-file histories there are converted on first acquire.
 */
export function openFilePartitionStore(dir: string, options: FilePartitionStoreOptions): FilePartitionStore {
  return new FileStore(dir, options);
}

class FileStore implements FilePartitionStore {
  private readonly active = new Map<string, Entry>();
  /** Partitions nobody uses, least recently released first. */
  private readonly idle = new Map<string, FilePartition>();
  /** Partitions being closed: acquiring one waits, so no two handles hold its files. */
  private readonly closing = new Map<string, Promise<void>>();
  private readonly files: OpenFileBudget | undefined;
  private readonly partitionOptions: FilePartitionOptions;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly options: FilePartitionStoreOptions,
  ) {
    const max = options.maxOpenHistories;
    if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) throw new RangeError(`maxOpenHistories must be a positive integer, not ${String(max)}`);
    this.files = max === undefined ? undefined : new OpenFileBudget(max, (error) => options.logger.warn('could not release a partition file', { error: String(error) }));
    const foldPolicy = { ...DEFAULT_FOLD_POLICY, ...options.foldPolicy };
    this.partitionOptions = {
      durability: options.durability,
      logger: options.logger,
      files: this.files,
      foldPolicy,
      historyRetentionMs: options.historyRetentionMs ?? DEFAULT_HISTORY_RETENTION_MS,
      now: options.now ?? Date.now,
    };
  }

  get openPartitionFiles(): number {
    return this.files?.size ?? 0;
  }

  async acquire(partition: string): Promise<PartitionHandle> {
    if (this.closed) throw new Error('the partition store is closed');
    let entry = this.active.get(partition);
    if (entry === undefined) {
      const idle = this.idle.get(partition);
      this.idle.delete(partition);
      entry = { opening: idle !== undefined ? Promise.resolve(idle) : this.open(partition), users: 0 };
      this.active.set(partition, entry);
    }
    entry.users++;
    const current = entry;
    try {
      const handle = await current.opening;
      handle.maybeFold();
      return handle;
    } catch (error) {
      if (this.active.get(partition) === current) this.active.delete(partition);
      throw error;
    }
  }

  async release(partition: string): Promise<void> {
    const entry = this.active.get(partition);
    if (entry === undefined) return;
    entry.users--;
    if (entry.users > 0) return;
    this.active.delete(partition);
    const handle = await entry.opening;
    if (handle.failed) return this.closeHandle(partition, handle);
    try {
      handle.releaseFile();
    } catch (error) {
      this.options.logger.warn('could not release a partition file', { partition, error: String(error) });
      return this.closeHandle(partition, handle);
    }
    this.files?.forget(handle);
    this.idle.set(partition, handle);
    for (const [oldest, old] of this.idle) {
      if (this.idle.size <= IDLE_PARTITIONS) break;
      this.idle.delete(oldest);
      void this.closeHandle(oldest, old);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const handles = await Promise.all([...this.active.values()].map((entry) => entry.opening.catch(() => undefined)));
    const all = [...handles.filter((h): h is FilePartition => h !== undefined), ...this.idle.values()];
    this.active.clear();
    this.idle.clear();
    await Promise.all([...all.map((handle) => handle.close()), ...this.closing.values()]);
  }

  private async open(partition: string): Promise<FilePartition> {
    await this.closing.get(partition);
    convertLegacyHistory(this.dir, partition, this.partitionOptions);
    return FilePartition.open(this.dir, partition, this.partitionOptions);
  }

  private closeHandle(partition: string, handle: FilePartition): Promise<void> {
    const done = handle
      .close()
      .catch((error: unknown) => this.options.logger.warn('could not close a partition', { partition, error: String(error) }))
      .finally(() => {
        if (this.closing.get(partition) === done) this.closing.delete(partition);
      });
    this.closing.set(partition, done);
    return done;
  }
}
