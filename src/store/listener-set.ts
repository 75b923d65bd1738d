/**
 * The listeners of one kind a realm file calls: a listener that throws must neither reach the
 * commit that triggered it nor keep the others from hearing of it, and one that closes the file
 * stops the fan-out (the others are not called on a closed file).
 */
import type { Logger } from './logger.js';

/** A set of listeners called with a `T` each, each failure logged and swallowed. */
export class ListenerSet<T> {
  private readonly listeners = new Set<(value: T) => void>();

  /**
   * @param logger where a listener's exception is reported, as `warning` with `details` and the error
   * @param isClosed whether the owner closed meanwhile: checked before each call
   */
  constructor(
    private readonly logger: Logger,
    private readonly warning: string,
    private readonly details: Readonly<Record<string, unknown>>,
    private readonly isClosed: () => boolean,
  ) {}

  /** Adds `listener`; returns the function that removes it. */
  add(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Calls every listener present now with `value`, in the order added. */
  call(value: T): void {
    // A copy: a listener may add or remove listeners, which takes effect from the next call.
    for (const listener of [...this.listeners]) {
      if (this.isClosed()) return;
      try {
        listener(value);
      } catch (error) {
        this.logger.warn(this.warning, { ...this.details, error: error instanceof Error ? error.stack ?? error.message : String(error) });
      }
    }
  }

  /** Drops every listener. */
  clear(): void {
    this.listeners.clear();
  }
}
