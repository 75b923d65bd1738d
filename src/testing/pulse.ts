/**
 * A wake-up shared by every waiter: `next()` is one promise per round (made on demand), which
 * `fire()` resolves and forgets. A waiter per wait would pile up when nothing fires for long.
 */
export class Pulse {
  private pending: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;

  /** Resolves at the next {@link fire}. */
  next(): Promise<void> {
    if (this.pending === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.pending = { promise, resolve };
    }
    return this.pending.promise;
  }

  /** Wakes every waiter of this round. */
  fire(): void {
    this.pending?.resolve();
    this.pending = undefined;
  }
}
