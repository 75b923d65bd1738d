import { join } from 'node:path';
import type { Logger } from '../store/logger.js';
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
  private readonly histories = new Map<string, PartitionHistory>();
  private readonly subscribers = new Map<string, Set<Subscriber>>();

  constructor(
    private readonly dataDir: string,
    private readonly options: { durability: 'full' | 'batched'; logger: Logger },
  ) {}

  /** The history of `partition`, opened if needed. */
  history(partition: string): PartitionHistory {
    let history = this.histories.get(partition);
    if (history === undefined) {
      history = PartitionHistory.open(join(this.dataDir, 'partitions'), partition, this.options);
      this.histories.set(partition, history);
    }
    return history;
  }

  subscribe(partition: string, subscriber: Subscriber): void {
    const set = this.subscribers.get(partition) ?? new Set();
    set.add(subscriber);
    this.subscribers.set(partition, set);
  }

  unsubscribe(partition: string, subscriber: Subscriber): void {
    this.subscribers.get(partition)?.delete(subscriber);
  }

  /** Tells every session of `partition` but `except` that its history grew. */
  announce(partition: string, except: Subscriber): void {
    for (const subscriber of this.subscribers.get(partition) ?? []) if (subscriber !== except) subscriber.historyGrew();
  }

  /** Starts a new epoch of `partition`; its bound sessions are told to reset. */
  reset(partition: string): string {
    const epoch = this.history(partition).reset();
    for (const subscriber of [...(this.subscribers.get(partition) ?? [])]) subscriber.partitionReset();
    return epoch;
  }

  close(): void {
    for (const history of this.histories.values()) history.close();
    this.histories.clear();
    this.subscribers.clear();
  }
}
