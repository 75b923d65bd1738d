import type { ActorFrame, InspectionFrame } from './inspection-frame.js';

/**
 * The actors that are alive, each as its actor frame carrying its latest snapshot: what a
 * listener that joins late (a viewer, or a relay that restarted) needs to draw them. An actor
 * leaves when a snapshot says it stopped, finished or failed. Bounded: past `limit` actors
 * the oldest is forgotten.
 */
export class LiveActors {
  private readonly actors = new Map<string, ActorFrame>();

  constructor(private readonly limit = 10_000) {}

  /** Takes one frame into account. */
  apply(frame: InspectionFrame): void {
    if (frame.type === '@xstate.actor') {
      this.actors.delete(frame.sessionId);
      this.actors.set(frame.sessionId, frame);
      if (this.actors.size > this.limit) this.actors.delete(this.actors.keys().next().value as string);
      return;
    }
    if (frame.type !== '@xstate.snapshot') return;
    const known = this.actors.get(frame.sessionId);
    if (known === undefined) return;
    if (frame.snapshot.status === 'active') this.actors.set(frame.sessionId, { ...known, snapshot: frame.snapshot });
    else this.actors.delete(frame.sessionId);
  }

  /** Whether `sessionId` is alive. */
  has(sessionId: string): boolean {
    return this.actors.has(sessionId);
  }

  /** Every live actor, parents before the children they spawned. */
  frames(): ActorFrame[] {
    return [...this.actors.values()];
  }

  /** Forgets every actor. */
  clear(): void {
    this.actors.clear();
  }

  /** How many actors are alive. */
  get size(): number {
    return this.actors.size;
  }
}
