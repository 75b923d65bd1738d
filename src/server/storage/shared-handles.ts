/**
 * The partition handles a store has handed out, one per partition however many sessions use
 * it, counted, with its closing tracked so that a partition is never held by two handles: what
 * every backend's `PartitionStore.acquire`/`release` does besides opening and closing a handle.
 */

/** What a handle needs to be shared. */
export interface SharedHandle {
  /** Starts a background fold if the backend's policy asks for one. */
  maybeFold(): void;
  close(): Promise<void>;
}

interface Entry<H> {
  readonly opening: Promise<H>;
  /** The handle once `opening` resolved. */
  opened?: H;
  users: number;
}

/** The handles in use, and those being closed. */
export class SharedHandles<H extends SharedHandle> {
  private readonly active = new Map<string, Entry<H>>();
  /** Partitions being closed: opening one waits, so no two handles hold it. */
  private readonly closing = new Map<string, Promise<void>>();

  constructor(private readonly warn: (message: string, details: Record<string, unknown>) => void) {}

  /** The handle of `partition` for one more user, opened by `open` (after any closing of it) if none is in use. */
  async acquire(partition: string, open: () => Promise<H>): Promise<H> {
    let entry = this.active.get(partition);
    if (entry === undefined) {
      const closing = this.closing.get(partition);
      const created: Entry<H> = { opening: closing === undefined ? open() : closing.then(open), users: 0 };
      created.opening.then((handle) => (created.opened = handle), () => undefined);
      entry = created;
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

  /** The handle of `partition` if one is open and in use now (never opens one). */
  peek(partition: string): H | undefined {
    return this.active.get(partition)?.opened;
  }

  /**
   * One user of `partition` is done. When that was the last, `settle` decides what becomes of
   * the handle (close it, keep it idle), and an `acquire` of the partition meanwhile waits for
   * it: registered before anything awaits, so no second handle of the partition is opened
   * while the first is still being let go of. Resolves once settled; never rejects (a failure
   * is logged).
   */
  release(partition: string, settle: (handle: H) => Promise<void>): Promise<void> {
    const entry = this.active.get(partition);
    if (entry === undefined) return Promise.resolve();
    entry.users--;
    if (entry.users > 0) return Promise.resolve();
    this.active.delete(partition);
    const done: Promise<void> = entry.opening
      .then(settle, () => undefined)
      .catch((error: unknown) => this.warn('could not release a partition', { partition, error: String(error) }))
      .finally(() => {
        if (this.closing.get(partition) === done) this.closing.delete(partition);
      });
    this.closing.set(partition, done);
    return done;
  }

  /** Closes `handle` of `partition` (no longer in use); a later `acquire` of it waits for this. Never rejects (a failure is logged). */
  close(partition: string, handle: H): Promise<void> {
    const done = handle
      .close()
      .catch((error: unknown) => this.warn('could not close a partition', { partition, error: String(error) }))
      .finally(() => {
        if (this.closing.get(partition) === done) this.closing.delete(partition);
      });
    this.closing.set(partition, done);
    return done;
  }

  /** Every handle in use, forgotten (the store is closing), and the closings under way. */
  async drain(): Promise<{ readonly handles: readonly H[]; readonly closing: readonly Promise<void>[] }> {
    const handles: H[] = [];
    await Promise.all([...this.active.values()].map((entry) => entry.opening.then((h) => void handles.push(h), () => undefined)));
    this.active.clear();
    return { handles, closing: [...this.closing.values()] };
  }
}
