/** Receives a stream's values; every member is optional. */
export interface Observer<T> {
  next?(value: T): void;
  error?(error: unknown): void;
  complete?(): void;
}

/** Ends one subscription. */
export interface Subscription {
  unsubscribe(): void;
}

/** What a stream's source pushes into for one subscriber. */
export interface Sink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
  /** False once the subscriber is gone or the stream ended; the source may stop early. */
  readonly open: boolean;
}

/** Starts producing for one subscriber; returns what stops it. */
export type Source<T> = (sink: Sink<T>) => (() => void) | void;

/** Values buffered for a `for await` loop that is slower than its stream; past this, the oldest go. */
const MAX_BUFFERED = 10_000;

/**
 * A stream of values: `subscribe(observer)` (the shape RxJS `from()` and XState accept) and
 * `for await` alike. Each subscription runs the source anew (a progress stream registers its
 * own notifier), and leaving a `for await` loop unsubscribes.
 */
export class Stream<T> implements AsyncIterable<T> {
  /**
   * @param source starts producing for one subscriber
   * @param onObserverError hears what an observer throws; the stream, and the process, go on
   */
  constructor(
    private readonly source: Source<T>,
    private readonly onObserverError: (error: unknown) => void = (error) => console.error('sync-session: a stream observer threw', error),
  ) {}

  subscribe(observerOrNext: Observer<T> | ((value: T) => void)): Subscription {
    const given: Observer<T> = typeof observerOrNext === 'function' ? { next: observerOrNext } : observerOrNext;
    const guard =
      <A extends unknown[]>(fn: ((...args: A) => void) | undefined) =>
      (...args: A): void => {
        try {
          fn?.(...args);
        } catch (error) {
          this.onObserverError(error);
        }
      };
    const observer: Observer<T> = { next: guard(given.next?.bind(given)), error: guard(given.error?.bind(given)), complete: guard(given.complete?.bind(given)) };
    let open = true;
    let teardown: (() => void) | void;
    const stop = () => {
      if (!open) return;
      open = false;
      const t = teardown;
      teardown = undefined;
      t?.();
    };
    const sink: Sink<T> = {
      next: (value) => {
        if (open) observer.next?.(value);
      },
      error: (error) => {
        if (!open) return;
        stop();
        observer.error?.(error);
      },
      complete: () => {
        if (!open) return;
        stop();
        observer.complete?.();
      },
      get open() {
        return open;
      },
    };
    teardown = this.source(sink);
    // The source may have ended the stream while starting: run its teardown now.
    if (!open) {
      const t = teardown;
      teardown = undefined;
      t?.();
    }
    return { unsubscribe: stop };
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const buffer: T[] = [];
    let done = false;
    let failure: { error: unknown } | undefined;
    let wake: (() => void) | undefined;
    const subscription = this.subscribe({
      next: (value) => {
        buffer.push(value);
        if (buffer.length > MAX_BUFFERED) buffer.shift();
        wake?.();
      },
      error: (error) => {
        failure = { error };
        wake?.();
      },
      complete: () => {
        done = true;
        wake?.();
      },
    });
    return {
      next: async (): Promise<IteratorResult<T>> => {
        for (;;) {
          if (buffer.length > 0) return { value: buffer.shift() as T, done: false };
          if (failure !== undefined) throw failure.error;
          if (done) return { value: undefined, done: true };
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
      return: async (): Promise<IteratorResult<T>> => {
        subscription.unsubscribe();
        done = true;
        return { value: undefined, done: true };
      },
    };
  }
}

/** A hot source many streams share: what is pushed goes to every current subscriber. */
export class Broadcast<T> {
  private readonly sinks = new Set<Sink<T>>();
  private ended = false;

  /** A stream of what is pushed from now on. */
  readonly stream: Stream<T>;

  constructor(onObserverError?: (error: unknown) => void) {
    this.stream = new Stream<T>((sink) => {
      if (this.ended) {
        sink.complete();
        return;
      }
      this.sinks.add(sink);
      return () => this.sinks.delete(sink);
    }, onObserverError);
  }

  push(value: T): void {
    for (const sink of [...this.sinks]) sink.next(value);
  }

  end(): void {
    this.ended = true;
    for (const sink of [...this.sinks]) sink.complete();
    this.sinks.clear();
  }
}
