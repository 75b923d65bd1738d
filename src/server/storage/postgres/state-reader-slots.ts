/**
 * How many state readers of one store may be open at once. Each open reader holds a pooled
 * connection (its snapshot's transaction) for as long as its client takes to read, and the sync
 * server opens one per bootstrapping socket: without a bound, as many slow bootstrapping
 * clients as the pool has connections would take them all, and every upload would wait. Readers
 * past the bound wait for a slot, first come first served; a store closing rejects them.
 */

/** A slot given back at most once: later calls do nothing. */
export type GiveBack = () => void;

/** A counting semaphore of state readers, FIFO. */
export class StateReaderSlots {
  private used = 0;
  private readonly queue: Array<{ resolve: (giveBack: GiveBack) => void; reject: (error: Error) => void }> = [];
  private closedWith: Error | undefined;

  /** At most `max` (a whole number ≥ 1) readers at once. */
  constructor(readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxStateReaders ${String(max)} is not a whole number ≥ 1`);
  }

  /** Readers open now (slots taken). */
  get inUse(): number {
    return this.used;
  }

  /** Readers waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves once a slot is this caller's, with the function that gives it back; rejects once {@link close} was called. */
  take(): Promise<GiveBack> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    if (this.used < this.max) {
      this.used++;
      return Promise.resolve(this.giveBackOnce());
    }
    return new Promise((resolve, reject) => this.queue.push({ resolve, reject }));
  }

  /** Rejects every waiting and later {@link take} with `error`; the slots taken are still given back as their readers end. */
  close(error: Error): void {
    this.closedWith ??= error;
    for (const waiter of this.queue.splice(0)) waiter.reject(this.closedWith);
  }

  private giveBackOnce(): GiveBack {
    let given = false;
    return () => {
      if (given) return;
      given = true;
      // Handed straight to the first waiter: the count stays, so no later take() overtakes it.
      const next = this.queue.shift();
      if (next !== undefined) next.resolve(this.giveBackOnce());
      else this.used--;
    };
  }
}
