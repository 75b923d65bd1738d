import type { Logger } from '../store/logger.js';
import { singleNodeFeed, type ChangeFeed } from './storage/change-feed.js';
import type { FoldReport, PartitionHandle, PartitionStore, ResetMode } from './storage/server-storage.js';

/** A bound session the hub can wake when its partition grows, or end when it is reset. */
export interface Subscriber {
  /** The epoch its IDENT was answered with: a handle of another epoch resets it. */
  readonly epoch: string | undefined;
  /** The server version it was sent up to: a handle past it wakes it. */
  readonly position: number;
  /** New changesets are in the partition's tail. */
  historyGrew(): void;
  /** The partition was reset: the session needs a client reset. */
  partitionReset(): void;
}

/** What a refresh of one partition found. */
interface Refreshing {
  /** Another change came while it ran: it runs once more when done. */
  again: boolean;
  readonly done: Promise<void>;
}

/**
 * The sessions bound to each partition, over the storage that keeps the partitions: the one
 * place that knows who must hear about an upload or a reset, on this node and (through the
 * storage's {@link ChangeFeed}) on the others. What a partition holds is the storage's business
 * (`PartitionStore`); the hub counts who uses which handle, and when another node changed a
 * partition in use here, refreshes its handle and wakes (or resets) its sessions.
 */
export class PartitionHub {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  /** Users (sessions, operator calls) of each partition's handle: those another node's change must refresh. */
  private readonly held = new Map<string, number>();
  /** The handle of each held partition (the store's one shared handle). */
  private readonly handles = new Map<string, PartitionHandle>();
  private readonly refreshing = new Map<string, Refreshing>();
  private resyncing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly store: PartitionStore,
    private readonly logger: Logger,
    private readonly feed: ChangeFeed = singleNodeFeed,
  ) {}

  /** The handle of `partition` for one more session; `release` it when the session ends. */
  async acquire(partition: string): Promise<PartitionHandle> {
    if (this.closed) throw new Error('the server is shutting down');
    // Counted before the open awaits: a change heard meanwhile refreshes the handle once open.
    this.held.set(partition, (this.held.get(partition) ?? 0) + 1);
    try {
      const handle = await this.store.acquire(partition);
      if (this.held.has(partition)) this.handles.set(partition, handle);
      return handle;
    } catch (error) {
      this.unhold(partition);
      throw error;
    }
  }

  /** One session of `partition` is over (its handle may be let go of). */
  release(partition: string): void {
    this.unhold(partition);
    this.store.release(partition).catch((error: unknown) => this.logger.warn('could not release a partition', { partition, error: String(error) }));
  }

  private unhold(partition: string): void {
    const left = (this.held.get(partition) ?? 1) - 1;
    if (left > 0) this.held.set(partition, left);
    else {
      this.held.delete(partition);
      this.handles.delete(partition);
    }
  }

  /**
   * Tells each session of `partition` what its handle now says, whoever moved the handle (this
   * hub's refresh, a session's own, an append or fold that found another node's commits): one
   * of another epoch is reset, one behind `latest` is woken. Decided per session, from the epoch
   * it was told and how far it was sent, so a session that bound in the new epoch while a
   * refresh begun in the old one ran is not reset by it, and none is left unwoken because
   * someone else's refresh brought the news in.
   */
  refreshed(partition: string): void {
    const handle = this.handles.get(partition);
    if (handle === undefined) return;
    for (const subscriber of [...(this.subscribers.get(partition) ?? [])]) {
      if (subscriber.epoch !== undefined && subscriber.epoch !== handle.epoch) subscriber.partitionReset();
      else if (subscriber.position < handle.latest) subscriber.historyGrew();
    }
  }

  /**
   * Another node changed `partition` (its feed said so): if it is in use here, its handle is
   * refreshed and its sessions are woken (new changesets) or reset (a new epoch). One refresh
   * per partition at a time; changes heard while it runs make it run once more, not once each.
   */
  changed(partition: string): Promise<void> {
    if (this.closed || !this.held.has(partition)) return Promise.resolve();
    const running = this.refreshing.get(partition);
    if (running !== undefined) {
      running.again = true;
      return running.done;
    }
    const entry: Refreshing = { again: false, done: this.refreshLoop(partition).finally(() => this.refreshing.delete(partition)) };
    this.refreshing.set(partition, entry);
    return entry.done;
  }

  /**
   * Changes may have been missed (the feed's poll, or its reconnect): every partition in use here
   * that another node changed meanwhile is refreshed, found by one read of the storage. One
   * resync at a time; one asked for meanwhile is the same.
   */
  resync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.resyncing ??= (async () => {
      try {
        const behind = new Set(await this.store.behind([...this.held.keys()]));
        // Those the storage has nothing new for may still have sessions behind their handle
        // (moved by someone else's refresh): told now, from memory.
        for (const partition of this.held.keys()) if (!behind.has(partition)) this.refreshed(partition);
        await Promise.all([...behind].map((partition) => this.changed(partition)));
      } catch (error) {
        this.logger.warn('could not check partitions for other nodes\' changes', { error: String(error) });
      } finally {
        this.resyncing = undefined;
      }
    })();
    return this.resyncing;
  }

  private async refreshLoop(partition: string): Promise<void> {
    // Bounded: each pass clears `again`, and sets of it come only from changes heard meanwhile.
    for (let pass = 0; ; pass++) {
      const entry = this.refreshing.get(partition);
      if (entry !== undefined) entry.again = false;
      if (this.closed || !this.held.has(partition)) return;
      let handle: PartitionHandle;
      try {
        handle = await this.acquire(partition);
      } catch (error) {
        this.logger.warn('could not open a partition another node changed', { partition, error: String(error) });
        return;
      }
      try {
        await handle.refresh();
        this.refreshed(partition);
      } catch (error) {
        // The next change or poll tries again.
        this.logger.warn('could not refresh a partition another node changed', { partition, error: String(error) });
      } finally {
        this.release(partition);
      }
      if (!(this.refreshing.get(partition)?.again ?? false) || pass > 1_000) return;
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

  /** Tells every session of `partition` but `except`, and the other nodes, that its tail grew. */
  announce(partition: string, except: Subscriber): void {
    for (const subscriber of this.subscribers.get(partition) ?? []) if (subscriber !== except) subscriber.historyGrew();
    this.feed.publish({ kind: 'partition', partition });
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
      this.feed.publish({ kind: 'partition', partition });
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
      const report = await handle.fold(options);
      // Other nodes' handles would otherwise read the folded changesets until they refresh.
      this.feed.publish({ kind: 'partition', partition });
      return report;
    } finally {
      this.release(partition);
    }
  }

  /** No partition is acquired after this (the storage is closed by its owner). */
  close(): void {
    this.closed = true;
    this.subscribers.clear();
    this.handles.clear();
  }
}
