import type { ActorFrame, InspectionFrame } from './inspection-frame.js';

/** How much a `LiveActors` keeps before it forgets its oldest actors. */
export interface LiveActorLimits {
  readonly actors?: number;
  /** The sum of each actor's announcement and latest step, as the frames' text lengths say. */
  readonly bytes?: number;
}

interface Entry {
  frame: ActorFrame;
  readonly announcedBytes: number;
  stepBytes: number;
}

/**
 * The actors that are alive, each as its actor frame carrying its latest snapshot: what a
 * listener that joins late (a viewer, or a relay that restarted) needs to draw them. An actor
 * leaves when a snapshot says it stopped, finished or failed. Bounded in count and in bytes:
 * past either limit the oldest actor is forgotten.
 */
export class LiveActors {
  private readonly actors = new Map<string, Entry>();
  private readonly maxActors: number;
  private readonly maxBytes: number;
  private bytes = 0;

  constructor(limits: LiveActorLimits = {}) {
    this.maxActors = limits.actors ?? 10_000;
    this.maxBytes = limits.bytes ?? Number.POSITIVE_INFINITY;
  }

  /** Takes one frame (of `bytes` characters, when the caller knows) into account. */
  apply(frame: InspectionFrame, bytes = 0): void {
    if (frame.type === '@xstate.actor') {
      this.forget(frame.sessionId);
      this.actors.set(frame.sessionId, { frame, announcedBytes: bytes, stepBytes: 0 });
      this.bytes += bytes;
      this.trim();
      return;
    }
    if (frame.type !== '@xstate.snapshot') return;
    const known = this.actors.get(frame.sessionId);
    if (known === undefined) return;
    if (frame.snapshot.status !== 'active') {
      this.forget(frame.sessionId);
      return;
    }
    known.frame = { ...known.frame, snapshot: frame.snapshot };
    this.bytes += bytes - known.stepBytes;
    known.stepBytes = bytes;
    this.trim();
  }

  /** Whether `sessionId` is alive. */
  has(sessionId: string): boolean {
    return this.actors.has(sessionId);
  }

  /** Every live actor, in the order they were announced (parents before their children). */
  frames(): ActorFrame[] {
    return [...this.actors.values()].map((entry) => entry.frame);
  }

  /** How many actors are alive. */
  get size(): number {
    return this.actors.size;
  }

  private forget(sessionId: string): void {
    const entry = this.actors.get(sessionId);
    if (entry === undefined) return;
    this.actors.delete(sessionId);
    this.bytes -= entry.announcedBytes + entry.stepBytes;
  }

  private trim(): void {
    while (this.actors.size > 0 && (this.actors.size > this.maxActors || this.bytes > this.maxBytes)) {
      this.forget(this.actors.keys().next().value as string);
    }
  }
}
