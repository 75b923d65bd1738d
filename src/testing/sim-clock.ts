/**
 * A simulated clock: time moves only when the simulation says so, and timers fire in a fixed
 * order (due time, then the order they were set), so a seed replays every timer of a run.
 */
import type { Clock, TimerHandle } from '../time/clock.js';

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
  readonly owner: ClockView;
}

/**
 * The one clock of a simulated world. Each machine of the world (a client, the server) gets its
 * own {@link ClockView} of it, so that a crash of that machine cancels exactly its timers.
 */
export class SimClock {
  private time: number;
  private nextId = 1;
  /** Pending timers, kept sorted by (due, id): a run has at most a few hundred. */
  private readonly timers: Timer[] = [];
  /** Timers fired so far (a figure for the run's stats). */
  fired = 0;
  /** Timers set so far: any change means the system did something. */
  timersSet = 0;

  /** Starts at `startMs` (ms since the epoch; a fixed date by default, so stamps replay too). */
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.time = startMs;
  }

  /** The simulated time, ms since the epoch. */
  now(): number {
    return this.time;
  }

  /** A clock for one machine of the world, its wall clock `skewMs` off; {@link ClockView.stop} cancels its timers for good. */
  view(name: string, skewMs = 0): ClockView {
    return new ClockView(this, name, skewMs);
  }

  /** When the next timer is due, if any. */
  nextDue(): number | undefined {
    return this.timers[0]?.due;
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time to `to` (never back) without firing anything. */
  advanceTo(to: number): void {
    if (to > this.time) this.time = to;
  }

  /**
   * Fires the earliest timer due at or before `until`, moving time to its due time; `false`
   * when none is. One at a time, so the caller lets the system settle between two timers.
   */
  fireNext(until: number): boolean {
    const first = this.timers[0];
    if (first === undefined || first.due > until) return false;
    this.timers.shift();
    this.advanceTo(first.due);
    this.fired++;
    first.fn();
    return true;
  }

  /** @internal */
  add(owner: ClockView, fn: () => void, delayMs: number): number {
    // Node treats a delay that is not a positive number as 1 ms; so does this clock.
    const delay = Number.isFinite(delayMs) && delayMs >= 1 ? Math.floor(delayMs) : 1;
    const timer: Timer = { id: this.nextId++, due: this.time + delay, fn, owner };
    this.timersSet++;
    let at = this.timers.length;
    while (at > 0 && this.timers[at - 1]!.due > timer.due) at--;
    this.timers.splice(at, 0, timer);
    return timer.id;
  }

  /** @internal */
  remove(id: number): void {
    const at = this.timers.findIndex((t) => t.id === id);
    if (at >= 0) this.timers.splice(at, 1);
  }

  /** @internal */
  removeAll(owner: ClockView): void {
    for (let i = this.timers.length - 1; i >= 0; i--) if (this.timers[i]!.owner === owner) this.timers.splice(i, 1);
  }
}

/** One machine's clock: the world's time, and timers that die with the machine. */
export class ClockView implements Clock {
  private stopped = false;

  constructor(
    private readonly world: SimClock,
    /** Whose clock it is, for traces. */
    readonly name: string,
    /** How far this machine's wall clock runs ahead of the world's (behind, if negative): clocks of real machines disagree. */
    readonly skewMs = 0,
  ) {}

  now(): number {
    return this.world.now() + this.skewMs;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    // A stopped machine (crashed) sets timers that never fire: its code may still be unwinding.
    const id = this.stopped ? 0 : this.world.add(this, fn, delayMs);
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.world.remove(handle as unknown as number);
  }

  /** Cancels every pending timer of this machine, and every later one (the machine crashed). */
  stop(): void {
    this.stopped = true;
    this.world.removeAll(this);
  }
}
