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

/** Histories kept in memory after their last session ended (see `PartitionHub.release`). */
export const IDLE_HISTORIES = 16;

/**
 * Every partition's history, opened on first use, and the sessions bound to each: the one
 * place that knows who must hear about an upload.
 */
export class PartitionHub {
  private readonly histories = new Map<string, { history: PartitionHistory; users: number }>();
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  /** Histories no session uses, without a file descriptor, least recently left first (see `release`). */
  private readonly idle = new Map<string, PartitionHistory>();
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
      const idle = this.idle.get(partition);
      this.idle.delete(partition);
      const { durability, logger } = this.options;
      entry = { history: idle ?? PartitionHistory.open(join(this.dataDir, 'partitions'), partition, { durability, logger, files: this.files }), users: 0 };
      this.histories.set(partition, entry);
    }
    entry.users++;
    return entry.history;
  }

  /**
   * One session of `partition` is over. The last one lets go of the history's file descriptor
   * but keeps it in memory among the {@link IDLE_HISTORIES} last left, so that a BIND right
   * after (an UNBIND+BIND loop, a client reconnecting) does not read and parse the whole file
   * again: one socket doing that at its frame rate would keep the server busy reading.
   */
  release(partition: string): void {
    const entry = this.histories.get(partition);
    if (entry === undefined) return;
    entry.users--;
    if (entry.users > 0) return;
    this.histories.delete(partition);
    this.subscribers.delete(partition);
    const { history } = entry;
    if (history.failed) {
      history.close();
      return;
    }
    try {
      history.releaseFile();
    } catch (error) {
      // Its log refuses writes from now on: a later BIND opens the file anew instead.
      this.options.logger.warn('could not release a history file', { partition, error: String(error) });
      history.close();
      return;
    }
    this.files?.forget(history);
    this.idle.set(partition, history);
    for (const [oldest, old] of this.idle) {
      if (this.idle.size <= IDLE_HISTORIES) break;
      this.idle.delete(oldest);
      old.close();
    }
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
    for (const history of this.idle.values()) history.close();
    this.histories.clear();
    this.idle.clear();
    this.subscribers.clear();
  }
}
