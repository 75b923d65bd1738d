import { decodeFrame, type ActorFrame, type InspectionFrame } from './inspection-frame.js';
import { LiveActors } from './live-actors.js';

/** What the hub remembers for listeners that join late. */
export interface RelayHubLimits {
  /** Live actors kept for replay. */
  readonly actors?: number;
  /** Bytes (characters) of live actors kept for replay: their announcements and latest steps. */
  readonly actorBytes?: number;
  /** Bytes (characters) of recent snapshot and event frames kept for replay (the viewers' timelines). */
  readonly recentBytes?: number;
}

/** What one incoming frame came to: the text to pass on, or why it was dropped. */
export type RelayVerdict = { readonly forward: string } | { readonly dropped: 'malformed' };

/**
 * Who a client is: a `source` (an app's `RelayAdapter`) only sends, so it is neither replayed
 * to nor sent what others send; a `viewer` (our page, the Stately bridge, or a client that
 * does not say) receives everything.
 */
export type RelayRole = 'source' | 'viewer';

interface Recent {
  readonly sessionId: string;
  readonly text: string;
}

/**
 * The relay's bookkeeping, apart from its sockets. Actor ids are only unique inside one
 * process, so every id a client sends is prefixed with that client's tag (`c3/x:0`); two apps
 * on one relay never collide, and one client cannot speak for another's actors. The hub keeps
 * the live actors and a ring of recent frames, each bounded in bytes, so a viewer that
 * connects late, or again after the relay restarted, is told everything alive.
 */
export class RelayHub {
  private readonly live: LiveActors;
  private readonly recent: Recent[] = [];
  private recentStart = 0;
  private recentBytes = 0;
  private readonly maxRecentBytes: number;
  private readonly tags = new Set<string>();
  private nextTag = 1;
  private malformedCount = 0;

  constructor(limits: RelayHubLimits = {}) {
    this.live = new LiveActors({ actors: limits.actors ?? 10_000, bytes: limits.actorBytes ?? 64 * 1024 * 1024 });
    this.maxRecentBytes = limits.recentBytes ?? 16 * 1024 * 1024;
  }

  /** A client connected: its tag, and (for a viewer) the frames that bring it up to date. */
  join(role: RelayRole = 'viewer'): { readonly tag: string; readonly replay: string[] } {
    const tag = `c${this.nextTag++}`;
    this.tags.add(tag);
    if (role === 'source') return { tag, replay: [] };
    const actors = this.live.frames().map((frame) => JSON.stringify(frame));
    const recent: string[] = [];
    for (let i = this.recentStart; i < this.recent.length; i++) {
      const entry = this.recent[i]!;
      if (this.live.has(entry.sessionId)) recent.push(entry.text);
    }
    return { tag, replay: [...actors, ...recent] };
  }

  /** A client sent `data`: the frame to pass on to every viewer but the sender, or nothing. */
  receive(tag: string, data: unknown): RelayVerdict {
    const frame = this.tags.has(tag) ? decodeFrame(data) : undefined;
    if (frame === undefined) {
      this.malformedCount++;
      return { dropped: 'malformed' };
    }
    const tagged = retag(frame, tag);
    const text = JSON.stringify(tagged);
    this.live.apply(tagged, text.length);
    if (tagged.type !== '@xstate.actor') this.remember(tagged.sessionId, text);
    return { forward: text };
  }

  /**
   * A client left: the actors it announced are told stopped (the same frame XState sends when
   * an actor stops), so viewers do not show them as alive; its app announces them afresh, under
   * a new tag, if it comes back.
   */
  leave(tag: string): string[] {
    if (!this.tags.delete(tag)) return [];
    const frames: string[] = [];
    for (const actor of this.live.frames()) {
      if (!actor.sessionId.startsWith(`${tag}/`)) continue;
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

  private remember(sessionId: string, text: string): void {
    this.recent.push({ sessionId, text });
    this.recentBytes += text.length;
    while (this.recentBytes > this.maxRecentBytes && this.recentStart < this.recent.length) {
      this.recentBytes -= this.recent[this.recentStart]!.text.length;
      this.recentStart++;
    }
    // The dropped head is cut off in batches, so the ring costs O(1) a frame on average.
    if (this.recentStart > 1_024 && this.recentStart * 2 > this.recent.length) {
      this.recent.splice(0, this.recentStart);
      this.recentStart = 0;
    }
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
    // Stamped like its sender's frames, so a Stately receiver takes it too.
    ...(actor._version === undefined ? {} : { _version: actor._version }),
    id: null,
  };
}
