/**
 * How a simulated world moves: one thing at a time (a step of the schedule, or the next timer
 * of the simulated clock), and then everything that thing set going runs to its end before the
 * next. Between two things only promise jobs and `setImmediate` callbacks run, and those run in
 * the order they were queued, so the order of everything is a function of the seed. The one
 * real asynchrony left is the server's crypto (token signatures, password hashes, on libuv's
 * thread pool): the network tracks the work it hands the server, and nothing moves on until it
 * is done.
 */
import type { SimClock } from './sim-clock.js';
import { Pulse } from './pulse.js';

/** Most settling rounds after one thing; more means something loops without end. */
const MAX_ROUNDS = 100_000;
/** Most real time one settle waits for the server's crypto (the one real asynchrony). */
const MAX_REAL_WAIT_MS = 60_000;

/** A promise's outcome once it settled. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Runs the world's clock, letting the system settle after each timer. */
export class SimScheduler {
  private tracked = 0;
  /** Fired when some tracked work finishes. */
  private readonly trackedFinished = new Pulse();
  /** Timers fired by this scheduler. */
  firedTimers = 0;

  constructor(
    readonly clock: SimClock,
    /** A counter that grows whenever anything observable happens (network, disk, timers). */
    private readonly activity: () => number,
    /** Work handed to the server and not finished. */
    private readonly busy: () => number,
    /** Resolves when some of that work next finishes (so a wait for it needs no polling). */
    private readonly workDone: () => Promise<void> = () => new Promise((resolve) => setTimeout(resolve, 1)),
  ) {}

  /** Counts `work` as in flight until it settles (a restart, an operator call). */
  track<T>(work: Promise<T>): Promise<T> {
    this.tracked++;
    const done = (): void => {
      this.tracked--;
      this.trackedFinished.fire();
    };
    work.then(done, done);
    return work;
  }

  /**
   * Lets everything already set going run: promise jobs and immediates, until two rounds in a
   * row change nothing and no tracked work is in flight.
   */
  async settle(): Promise<void> {
    let quiet = 0;
    let rounds = 0;
    // Rounds that only wait for the server's crypto are not counted: on a loaded machine the
    // thread pool may take long, which is no loop. Real time bounds that wait instead.
    const realDeadline = performance.now() + MAX_REAL_WAIT_MS;
    for (;;) {
      const before = this.activity();
      await new Promise<void>((resolve) => setImmediate(resolve));
      const moved = this.activity() !== before || process.getActiveResourcesInfo().includes('Immediate');
      if (moved) {
        quiet = 0;
        if (++rounds >= MAX_ROUNDS) throw new Error(`the simulated system did not settle within ${MAX_ROUNDS} rounds: something loops without end`);
      } else if (this.tracked > 0 || this.busy() > 0) {
        quiet = 0;
        if (performance.now() > realDeadline) throw new Error(`work handed to the server (its crypto, a restart) did not finish within ${MAX_REAL_WAIT_MS / 1000} s of real time`);
        // Until some of it finishes (or a while, to check the deadline): no polling.
        let timer: ReturnType<typeof setTimeout> | undefined;
        // Only what is in flight is waited on: a promise nothing resolves would collect reactions.
        await Promise.race([
          ...(this.busy() > 0 ? [this.workDone()] : []),
          ...(this.tracked > 0 ? [this.trackedFinished.next()] : []),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, 1_000))),
        ]);
        clearTimeout(timer);
      } else if (++quiet >= 2) {
        return;
      }
    }
  }

  /** Fires every timer due within `ms` from now, one by one, settling after each; time ends at now + ms. */
  async runFor(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    await this.settle();
    while (this.clock.fireNext(until)) {
      this.firedTimers++;
      await this.settle();
    }
    this.clock.advanceTo(until);
  }

  /**
   * Runs the clock until `work` settles or `maxMs` of simulated time passed; `undefined` if it
   * is still pending then.
   */
  async drive<T>(work: Promise<T>, maxMs: number): Promise<Outcome<T> | undefined> {
    let outcome: Outcome<T> | undefined;
    work.then(
      (value) => {
        outcome = { ok: true, value };
      },
      (error: unknown) => {
        outcome = { ok: false, error };
      },
    );
    const until = this.clock.now() + maxMs;
    await this.settle();
    while (outcome === undefined && this.clock.fireNext(until)) {
      this.firedTimers++;
      await this.settle();
    }
    if (outcome === undefined) this.clock.advanceTo(until);
    return outcome;
  }

  /** Runs the clock until `done()` holds (checked after each timer) or `maxMs` passed; whether it held. */
  async until(done: () => boolean, maxMs: number): Promise<boolean> {
    const until = this.clock.now() + maxMs;
    await this.settle();
    while (!done()) {
      if (!this.clock.fireNext(until)) {
        this.clock.advanceTo(until);
        return done();
      }
      this.firedTimers++;
      await this.settle();
    }
    return true;
  }
}
