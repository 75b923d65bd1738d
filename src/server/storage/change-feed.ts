/**
 * How the server processes ("nodes") of one storage hear what the others committed. A node that
 * commits an upload, a reset or a revocation publishes it; the others re-read from storage what
 * their sessions need. A change is only a wake-up ("poke"): it carries no data, and it may come
 * late, twice or never, so every node also resyncs (re-reads what it watches) at an interval and
 * after its feed reconnects. Delivery depends on storage alone; the feed only makes it prompt.
 */

/** What a node committed that other nodes must act on. */
export type StorageChange =
  /** The partition has new changesets, a fold or a new epoch. */
  | { readonly kind: 'partition'; readonly partition: string }
  /** The user was logged out (`revokeUser`). */
  | { readonly kind: 'revoked'; readonly userId: string };

/** What a feed tells the node it runs in. */
export interface ChangeListener {
  /** Another node committed `change`. */
  changed(change: StorageChange): void;
  /**
   * Changes may have been missed (the feed reconnected, or its poll interval came round): every
   * watched partition and the revocations are to be read again.
   */
  resync(): void;
}

/** One node's side of the feed. */
export interface ChangeFeed {
  /** Starts delivering to `listener` (once; before it, nothing is delivered). */
  start(listener: ChangeListener): void;
  /**
   * Tells the other nodes about `change`, once it is committed, outside the transaction that
   * committed it. Never throws and never waits: a change that cannot be sent is found by the
   * others' next resync.
   */
  publish(change: StorageChange): void;
  /** Stops listening and polling; nothing is delivered after it resolves. */
  close(): Promise<void>;
}

/** The feed of a storage with one node (the file backend): nothing to tell, nothing to hear. */
export const singleNodeFeed: ChangeFeed = {
  start: () => undefined,
  publish: () => undefined,
  close: () => Promise.resolve(),
};
