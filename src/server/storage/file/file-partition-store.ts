/**
 * The file backend of `PartitionStore`: every partition in its own directory under one root
 * (`partition-files.ts`), opened on first use, and at most `maxOpenHistories` of them holding
 * files at once.
 */
import { nodeFileSystem, type FileSystem } from '../../../store/file-system.js';
import { cryptoRandom, type RandomSource } from '../../../time/random-source.js';
import type { Logger } from '../../../store/logger.js';
import { OpenFileBudget } from '../../open-file-budget.js';
import type { PartitionHandle, PartitionStore } from '../server-storage.js';
import { FilePartition, type FilePartitionOptions, type FoldPolicy } from './file-partition.js';
import { convertLegacyHistory } from './legacy-history.js';
import { SharedHandles } from '../shared-handles.js';

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
  /** Where new epochs come from (default `crypto.randomBytes`). */
  readonly random?: RandomSource;
  /** The file port (default: the real file system). */
  readonly fileSystem?: FileSystem;
}

/** A {@link PartitionStore} on files. */
export interface FilePartitionStore extends PartitionStore {
  /** How many partitions may hold files open now (at most `maxOpenHistories`). */
  readonly openPartitionFiles: number;
  /** Waits for running folds, syncs and closes every partition; nothing is acquired after it. */
  close(): Promise<void>;
}

/**
 * Opens the partitions under `dir` (the server's `partitions` directory; made with the first
 * partition written). Old single-file histories there are converted on first acquire.
 */
export function openFilePartitionStore(dir: string, options: FilePartitionStoreOptions): FilePartitionStore {
  return new FileStore(dir, options);
}

class FileStore implements FilePartitionStore {
  private readonly handles: SharedHandles<FilePartition>;
  /** Partitions nobody uses, least recently released first. */
  private readonly idle = new Map<string, FilePartition>();
  private readonly files: OpenFileBudget | undefined;
  private readonly partitionOptions: FilePartitionOptions;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly options: FilePartitionStoreOptions,
  ) {
    this.handles = new SharedHandles((message, details) => options.logger.warn(message, details));
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
      random: options.random ?? cryptoRandom,
      fileSystem: options.fileSystem ?? nodeFileSystem,
    };
  }

  get openPartitionFiles(): number {
    return this.files?.size ?? 0;
  }

  async acquire(partition: string): Promise<PartitionHandle> {
    if (this.closed) throw new Error('the partition store is closed');
    return this.handles.acquire(partition, () => {
      const idle = this.idle.get(partition);
      this.idle.delete(partition);
      return idle !== undefined ? Promise.resolve(idle) : this.open(partition);
    });
  }

  release(partition: string): Promise<void> {
    return this.handles.release(partition, async (handle) => {
      if (handle.failed) return this.handles.close(partition, handle);
      try {
        handle.releaseFile();
      } catch (error) {
        this.options.logger.warn('could not release a partition file', { partition, error: String(error) });
        return this.handles.close(partition, handle);
      }
      this.files?.forget(handle);
      this.idle.set(partition, handle);
      for (const [oldest, old] of this.idle) {
        if (this.idle.size <= IDLE_PARTITIONS) break;
        this.idle.delete(oldest);
        void this.handles.close(oldest, old);
      }
    });
  }

  /** None: the directory's lock makes this store its only writer. */
  behind(): Promise<readonly string[]> {
    return Promise.resolve([]);
  }

  async close(): Promise<void> {
    this.closed = true;
    const { handles, closing } = await this.handles.drain();
    const all = [...handles, ...this.idle.values()];
    this.idle.clear();
    await Promise.all([...all.map((handle) => handle.close()), ...closing]);
  }

  private async open(partition: string): Promise<FilePartition> {
    convertLegacyHistory(this.dir, partition, this.partitionOptions);
    return FilePartition.open(this.dir, partition, this.partitionOptions);
  }

}
