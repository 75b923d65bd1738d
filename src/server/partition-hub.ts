import { join } from 'node:path';
import type { Logger } from '../store/logger.js';
import { OpenFileBudget } from './open-file-budget.js';
import { PartitionHistory } from './partition-history.js';

/** A bound session the hub can wake when its partition grows, or end when it is reset. */
export interface Subscriber {
  /** New changesets are in the history. */
  historyGrew(): void;
  /** The partition was reset: the session needs a client reset. */
  partitionReset(): void;
}

/**
 * Every partition's history, opened on first use, and the sessions bound to each: the one
 * place that knows who must hear about an upload.
 */
export class PartitionHub {
  private readonly histories = new Map<string, { history: PartitionHistory; users: number }>();
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private closed = false;
  /** The history files held open at once (`maxOpenHistories`). */
  private readonly files: OpenFileBudget | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly options: { durability: 'full' | 'batched'; logger: Logger; maxOpenHistories?: number },
  ) {
    this.files =
      options.maxOpenHistories === undefined
        ? undefined
        : new OpenFileBudget(options.maxOpenHistories, (error) => options.logger.warn('could not release a history file', { error: String(error) }));
  }

  /** How many histories may hold their file open now (at most `maxOpenHistories`). */
  get openHistoryFiles(): number {
    return this.files?.size ?? 0;
  }

  /**
   * The history of `partition`, opened if needed, for one more session; `release` it when the
   * session ends, so a partition nobody uses holds no open file.
   */
  acquire(partition: string): PartitionHistory {
    if (this.closed) throw new Error('the server is shutting down');
    let entry = this.histories.get(partition);
    if (entry === undefined) {
      const { durability, logger } = this.options;
      entry = { history: PartitionHistory.open(join(this.dataDir, 'partitions'), partition, { durability, logger, files: this.files }), users: 0 };
      this.histories.set(partition, entry);
    }
    entry.users++;
    return entry.history;
  }

  /** One session of `partition` is over; the last one closes the history. */
  release(partition: string): void {
    const entry = this.histories.get(partition);
    if (entry === undefined) return;
    entry.users--;
    if (entry.users > 0) return;
    this.histories.delete(partition);
    this.subscribers.delete(partition);
    entry.history.close();
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

  /** Tells every session of `partition` but `except` that its history grew. */
  announce(partition: string, except: Subscriber): void {
    for (const subscriber of this.subscribers.get(partition) ?? []) if (subscriber !== except) subscriber.historyGrew();
  }

  /** Starts a new epoch of `partition` that begins with its documents; its bound sessions are told to reset. */
  reset(partition: string): string {
    return this.newEpoch(partition, (history) => history.reset());
  }

  /** Starts a new, empty epoch of `partition` (its documents are gone); its bound sessions are told to reset. */
  delete(partition: string): string {
    return this.newEpoch(partition, (history) => history.wipe());
  }

  private newEpoch(partition: string, start: (history: PartitionHistory) => string): string {
    const history = this.acquire(partition);
    try {
      const epoch = start(history);
      for (const subscriber of [...(this.subscribers.get(partition) ?? [])]) subscriber.partitionReset();
      return epoch;
    } finally {
      this.release(partition);
    }
  }

  /** Closes every history; no partition opens after this. */
  close(): void {
    this.closed = true;
    for (const { history } of this.histories.values()) history.close();
    this.histories.clear();
    this.subscribers.clear();
  }
}
