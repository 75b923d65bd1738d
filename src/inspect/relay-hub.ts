import { decodeFrame, type ActorFrame, type InspectionFrame } from './inspection-frame.js';
import { LiveActors } from './live-actors.js';

/** What the hub remembers for listeners that join late. */
export interface RelayHubLimits {
  /** Live actors kept for replay. */
  readonly actors?: number;
  /** Recent snapshot and event frames kept for replay (the viewers' timelines). */
  readonly recentFrames?: number;
}

/** What one incoming frame came to: the text to pass on, or why it was dropped. */
export type RelayVerdict = { readonly forward: string } | { readonly dropped: 'malformed' };

/**
 * The relay's bookkeeping, apart from its sockets. Actor ids are only unique inside one
 * process, so every id a client sends is prefixed with that client's tag (`c3/x:0`); two apps
 * on one relay never collide. The hub keeps the live actors and a ring of recent frames, so a
 * viewer that connects late, or again after the relay restarted, is told everything alive.
 */
export class RelayHub {
  private readonly live: LiveActors;
  private readonly recent: InspectionFrame[] = [];
  private readonly recentLimit: number;
  private readonly owned = new Map<string, Set<string>>();
  private nextTag = 1;
  private malformedCount = 0;

  constructor(limits: RelayHubLimits = {}) {
    this.live = new LiveActors(limits.actors ?? 10_000);
    this.recentLimit = limits.recentFrames ?? 5_000;
  }

  /** A client connected: its tag, and the frames that bring it up to date. */
  join(): { readonly tag: string; readonly replay: string[] } {
    const tag = `c${this.nextTag++}`;
    this.owned.set(tag, new Set());
    const actors = this.live.frames();
    const recent = this.recent.filter((frame) => this.live.has(frame.sessionId));
    return { tag, replay: [...actors, ...recent].map((frame) => JSON.stringify(frame)) };
  }

  /** A client sent `data`: the frame to pass on to every other client, or nothing. */
  receive(tag: string, data: unknown): RelayVerdict {
    const frame = decodeFrame(data);
    const owned = this.owned.get(tag);
    if (frame === undefined || owned === undefined) {
      this.malformedCount++;
      return { dropped: 'malformed' };
    }
    const tagged = retag(frame, tag);
    this.live.apply(tagged);
    if (tagged.type === '@xstate.actor') owned.add(tagged.sessionId);
    else this.remember(tagged);
    return { forward: JSON.stringify(tagged) };
  }

  /**
   * A client left: the actors it announced are told stopped (the same frame XState sends when
   * an actor stops), so viewers do not show them as alive; its app announces them afresh, under
   * a new tag, if it comes back.
   */
  leave(tag: string): string[] {
    const owned = this.owned.get(tag);
    this.owned.delete(tag);
    if (owned === undefined) return [];
    const frames: string[] = [];
    for (const actor of this.live.frames()) {
      if (!owned.has(actor.sessionId)) continue;
      const stopped = stoppedFrame(actor);
      this.live.apply(stopped);
      frames.push(JSON.stringify(stopped));
    }
    return frames;
  }

  /** How many frames were dropped as malformed since the start. */
  get malformed(): number {
    return this.malformedCount;
  }

  /** How many actors are alive. */
  get actors(): number {
    return this.live.size;
  }

  private remember(frame: InspectionFrame): void {
    this.recent.push(frame);
    // Trimmed in batches, so the ring costs O(1) a frame on average.
    if (this.recent.length > this.recentLimit * 1.25) this.recent.splice(0, this.recent.length - this.recentLimit);
  }
}

const prefixed = (tag: string, id: string | undefined): string | undefined => (id === undefined ? undefined : `${tag}/${id}`);

function retag(frame: InspectionFrame, tag: string): InspectionFrame {
  const common = { sessionId: `${tag}/${frame.sessionId}`, rootId: prefixed(tag, frame.rootId) };
  switch (frame.type) {
    case '@xstate.actor':
      return { ...frame, ...common, parentId: prefixed(tag, frame.parentId) };
    case '@xstate.snapshot':
      return { ...frame, ...common };
    case '@xstate.event':
      return { ...frame, ...common, sourceId: prefixed(tag, frame.sourceId) };
  }
}

function stoppedFrame(actor: ActorFrame): InspectionFrame {
  return {
    type: '@xstate.snapshot',
    sessionId: actor.sessionId,
    rootId: actor.rootId,
    createdAt: Date.now().toString(),
    event: { type: 'xstate.stop' },
    snapshot: { ...actor.snapshot, status: 'stopped' },
  };
}
