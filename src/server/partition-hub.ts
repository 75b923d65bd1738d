import type { Logger } from '../store/logger.js';
import type { FoldReport, PartitionHandle, PartitionStore, ResetMode } from './storage/server-storage.js';

/** A bound session the hub can wake when its partition grows, or end when it is reset. */
export interface Subscriber {
  /** New changesets are in the partition's tail. */
  historyGrew(): void;
  /** The partition was reset: the session needs a client reset. */
  partitionReset(): void;
}

/**
 * The sessions bound to each partition, over the storage that keeps the partitions: the one
 * place that knows who must hear about an upload or a reset. What a partition holds is the
 * storage's business (`PartitionStore`); the hub only counts who uses which handle.
 */
export class PartitionHub {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private closed = false;

  constructor(
    private readonly store: PartitionStore,
    private readonly logger: Logger,
  ) {}

  /** The handle of `partition` for one more session; `release` it when the session ends. */
  async acquire(partition: string): Promise<PartitionHandle> {
    if (this.closed) throw new Error('the server is shutting down');
    return this.store.acquire(partition);
  }

  /** One session of `partition` is over (its handle may be let go of). */
  release(partition: string): void {
    this.store.release(partition).catch((error: unknown) => this.logger.warn('could not release a partition', { partition, error: String(error) }));
  }

  subscribe(partition: string, subscriber: Subscriber): void {
    const set = this.subscribers.get(partition) ?? new Set();
    set.add(subscriber);
    this.subscribers.set(partition, set);
  }

  unsubscribe(partition: string, subscriber: Subscriber): void {
    const set = this.subscribers.get(partition);
    set?.delete(subscriber);
    if (set?.size === 0) this.subscribers.delete(partition);
  }

  /** Tells every session of `partition` but `except` that its tail grew. */
  announce(partition: string, except: Subscriber): void {
    for (const subscriber of this.subscribers.get(partition) ?? []) if (subscriber !== except) subscriber.historyGrew();
  }

  /**
   * Starts a new epoch of `partition` (`keepDocuments`: it begins with the partition's documents;
   * `wipe`: empty), durably; its bound sessions are then told to reset.
   */
  async reset(partition: string, mode: ResetMode): Promise<string> {
    const handle = await this.acquire(partition);
    try {
      const epoch = await handle.reset(mode);
      for (const subscriber of [...(this.subscribers.get(partition) ?? [])]) subscriber.partitionReset();
      return epoch;
    } finally {
      this.release(partition);
    }
  }

  /**
   * Folds `partition`'s tail into its state now, dropping tombstones older than `retentionMs`
   * (the storage also does this on its own; this is for operators and tests that must know when).
   */
  async compact(partition: string, options: { readonly now: number; readonly retentionMs: number }): Promise<FoldReport> {
    const handle = await this.acquire(partition);
    try {
      return await handle.fold(options);
    } finally {
      this.release(partition);
    }
  }

  /** No partition is acquired after this (the storage is closed by its owner). */
  close(): void {
    this.closed = true;
    this.subscribers.clear();
  }
}
