import type { Clock, TimerHandle } from '../time/clock.js';

/**
 * XState's clock (`createActor(…, { clock })`): what schedules an actor's delayed events.
 * XState does not export the type, so it is spelled out here.
 */
export interface ActorClock {
  setTimeout(fn: () => void, timeout: number): TimerHandle;
  clearTimeout(id: TimerHandle): void;
}

/**
 * Timers of `clock` that keep the process alive only while `holds()` says so: `holds` reads the
 * actor's chart (nothing is decided here), and `follow()` after each step of the actor refs or
 * unrefs the timers still pending. A chart's linger then never holds a process that has nothing
 * left to do, while its backoff does hold one whose sessions wait to upload. A clock that cannot
 * hold a process (a simulated one, without `hold`) is used as it is.
 */
export class HeldClock implements ActorClock {
  private readonly pending = new Set<TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly holds: () => boolean,
  ) {}

  setTimeout(fn: () => void, timeout: number): TimerHandle {
    const timer = this.clock.setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, timeout);
    this.pending.add(timer);
    if (!this.holds()) this.clock.hold?.(timer, false);
    return timer;
  }

  clearTimeout(timer: TimerHandle): void {
    this.pending.delete(timer);
    this.clock.clearTimeout(timer);
  }

  /** Applies `holds()` to every pending timer (the chart may have changed its mind). */
  follow(): void {
    const hold = this.clock.hold;
    if (hold === undefined) return;
    const held = this.holds();
    for (const timer of this.pending) hold(timer, held);
  }
}
