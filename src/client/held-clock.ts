/**
 * XState's clock (`createActor(…, { clock })`): what schedules an actor's delayed events.
 * XState does not export the type, so it is spelled out here.
 */
export interface ActorClock {
  setTimeout(fn: () => void, timeout: number): NodeJS.Timeout;
  clearTimeout(id: NodeJS.Timeout): void;
}

/**
 * A clock whose timers keep the process alive only while `holds()` says so: `holds` reads the
 * actor's chart (nothing is decided here), and `follow()` after each step of the actor refs or
 * unrefs the timers still pending. A chart's linger then never holds a process that has nothing
 * left to do, while its backoff does hold one whose sessions wait to upload.
 */
export class HeldClock implements ActorClock {
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(private readonly holds: () => boolean) {}

  setTimeout(fn: () => void, timeout: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, timeout);
    this.pending.add(timer);
    if (!this.holds()) timer.unref();
    return timer;
  }

  clearTimeout(timer: NodeJS.Timeout): void {
    this.pending.delete(timer);
    clearTimeout(timer);
  }

  /** Applies `holds()` to every pending timer (the chart may have changed its mind). */
  follow(): void {
    const hold = this.holds();
    for (const timer of this.pending) {
      if (hold) timer.ref();
      else timer.unref();
    }
  }
}
