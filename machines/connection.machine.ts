import { assertEvent, assign, fromCallback, setup, type EventObject, type SnapshotFrom } from 'xstate';
import { defaultReconnect, grown, jitter, jittered, MAX_TIMER_DELAY_MS, MIN_RETRY_DELAY_MS, type ReconnectOptions } from './backoff.js';
import { MemberSet } from './member-set.js';
import { nextRandom } from './random.js';

/** Keepalive timing (docs/SEMANTICS.md §2). */
export interface KeepaliveOptions {
  /** A PING goes out this long (minus jitter) after the last PONG or the connection's start. */
  readonly pingIntervalMs: number;
  /** With no PONG this long after a PING, the socket is closed as a transient error. */
  readonly pongTimeoutMs: number;
}

/** Realm's defaults: PING every 60 s, PONG within 120 s. */
export const defaultKeepalive: KeepaliveOptions = { pingIntervalMs: 60_000, pongTimeoutMs: 120_000 };

/**
 * How long a socket may take to open before the attempt counts as failed (docs/SEMANTICS.md
 * §2.8): 15 s, the silence after which an auth request's node counts as not answering. Realm
 * waits 120 s; with several nodes that is two minutes on a node that accepts TCP and never
 * answers the upgrade before the next one is tried.
 */
export const defaultConnectTimeoutMs = 15_000;

/** The largest share of the ping interval that jitter removes. */
export const pingJitterShare = 0.1;

/** Whose socket this is, for inspectors; the chart never reads it. */
export interface ConnectionLabel {
  readonly userId: string;
  /**
   * The origins of the app's `baseUrl` (one per node, in its order; a URL's path is dropped);
   * the sync URL in use is `currentUrl` of the context.
   */
  readonly baseUrls: readonly string[];
}

/** A list with at least one entry (the nodes of a server). */
export type NonEmptyList<T> = readonly [T, ...T[]];

/** Configuration a shared-connection actor starts with. */
export interface ConnectionInput {
  readonly label?: ConnectionLabel;
  /**
   * The sync URLs of the server's nodes (`ws://host:port/sync`), in the order they are tried.
   * The first attempt goes to the first (docs/SEMANTICS.md §2.8).
   */
  readonly urls: NonEmptyList<string>;
  readonly reconnect?: Partial<ReconnectOptions>;
  readonly keepalive?: Partial<KeepaliveOptions>;
  /** How long an attempt may stay `connecting` before it counts as failed; {@link defaultConnectTimeoutMs} unless given. */
  readonly connectTimeoutMs?: number;
  /** How long the socket stays open after its last session leaves. */
  readonly lingerMs?: number;
  /** Seed of the jitter; the runtime passes a random one, tests a fixed one. */
  readonly seed?: number;
}

/** The shared connection's memory. */
export interface ConnectionContext {
  /** Descriptive only (see `ConnectionLabel`). */
  readonly label?: ConnectionLabel;
  readonly reconnect: ReconnectOptions;
  readonly keepalive: KeepaliveOptions;
  /** How long an attempt may stay `connecting` (no `socket.open`) before it counts as failed. */
  readonly connectTimeoutMs: number;
  readonly lingerMs: number;
  /** The sync URLs of the server's nodes, as the input gave them. */
  readonly urls: NonEmptyList<string>;
  /**
   * Index in `urls` of the node the socket goes to: kept while it works, the next one
   * (wrapping) after each failure (docs/SEMANTICS.md §2.8).
   */
  readonly node: number;
  /**
   * Attached sessions, in the order they attached. JSON shows their ids as an array; a snapshot
   * restored from JSON needs `MemberSet.of(ids)` back in this place.
   */
  readonly sessions: MemberSet;
  /** The base of the next backoff; back to `initialDelayMs` after an IDENT or `reconnect`. */
  readonly baseDelayMs: number;
  /**
   * The wait of the current backoff, jitter applied; or the server's, when the next attempt
   * goes back to the node that named it (a list of one), never below `MIN_RETRY_DELAY_MS`.
   */
  readonly backoffMs: number;
  /** The wait before the next PING, jitter applied. */
  readonly pingDelayMs: number;
  /** State of the jitter's pseudo-random sequence. */
  readonly rng: number;
}

/** Events the shared connection accepts: from sessions, from its socket, and from the user. */
export type ConnectionEvent =
  | { readonly type: 'session.attach'; readonly sessionId: string }
  | { readonly type: 'session.detach'; readonly sessionId: string }
  | { readonly type: 'socket.open' }
  /**
   * The socket closed or failed; a server error may name its own backoff, that node's word
   * about itself (followed only when the next attempt goes to the same node).
   */
  | { readonly type: 'socket.closed'; readonly backoffMs?: number }
  /** The first IDENT on this socket: the connection works, so backoff starts over. */
  | { readonly type: 'server.ident' }
  | { readonly type: 'pong' }
  | { readonly type: 'reconnect' };

/** What the `socket` actor is started with: where to connect, as the chart's state names it. */
export interface SocketInput {
  readonly url: string;
}

/** The sync URL of the node `context` names: where the current or next socket goes. */
export const currentUrl = (context: Pick<ConnectionContext, 'urls' | 'node'>): string => context.urls[context.node] ?? context.urls[0];

/** What sessions hear from their connection; the session chart's `connection.*` events. */
export type ConnectionNotice = 'connection.connecting' | 'connection.open' | 'connection.lost';

/** Parameters of `notify`: tell these sessions about the connection. */
export interface NotifyParams {
  readonly sessions: readonly string[];
  readonly notice: ConnectionNotice;
}

const everyone =
  (notice: ConnectionNotice) =>
  ({ context }: { context: ConnectionContext }): NotifyParams => ({ sessions: context.sessions.ids(), notice });

const newcomer =
  (notice: ConnectionNotice) =>
  ({ event }: { event: ConnectionEvent }): NotifyParams => ({
    sessions: event.type === 'session.attach' ? [event.sessionId] : [],
    notice,
  });

/**
 * How a state with sessions handles `session.detach`: the last session leaving sends the
 * connection to `whenLast` (a sibling of that state); another attached one just leaves.
 */
const detach = <Target extends string>(whenLast: Target) =>
  [
    { guard: 'isLastSession', target: whenLast, actions: 'removeSession' },
    { guard: 'isAttached', actions: 'removeSession' },
  ] as const;

/**
 * `holdsProcess`: a session is attached, so this connection's socket and timers keep the
 * process alive (docs/SEMANTICS.md §2). Off in `idle` and `lingering`: a socket kept for reuse and
 * its linger never keep a process whose realms are all closed and uploaded.
 */
export type ConnectionTag = 'holdsProcess';

/**
 * One WebSocket per (server, user), shared by that user's sessions (docs/SEMANTICS.md §2).
 *
 * The first attempt goes out at once; each failure waits the current base minus jitter, and
 * the base grows by the multiplier up to the cap. An IDENT resets the base, so does
 * `reconnect`, which also skips a wait under way. Keepalive sends PING after a jittered
 * interval and drops the socket when no PONG comes in time. After the last session leaves, an
 * open socket lingers before it closes; it holds the process only while a session is attached
 * (the `holdsProcess` tag). A server of several nodes is one list of URLs: the socket goes to
 * the node `node` names, which stays while it works and moves to the next (wrapping) on every
 * failure, after the same backoff. An attempt that neither opens nor fails within
 * `connectTimeoutMs` is a failure too: a node that accepts TCP and never answers the upgrade
 * does not hold the connection. The socket itself is the `socket` actor, started with the
 * URL; the runtime provides it, and `notify` and `sendPing`.
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    tags: {} as ConnectionTag,
  },
  actors: {
    /** Opens the socket to `input.url` on start, closes it on stop; sends `socket.*`, `server.ident`, `pong`. */
    socket: fromCallback<EventObject, SocketInput>(() => () => {}),
  },
  actions: {
    notify: (_: unknown, _params: NotifyParams) => {},
    sendPing: () => {},
    addSession: assign({
      sessions: ({ context, event }) => {
        assertEvent(event, 'session.attach');
        return context.sessions.with(event.sessionId);
      },
    }),
    removeSession: assign({
      sessions: ({ context, event }) => {
        assertEvent(event, 'session.detach');
        return context.sessions.without(event.sessionId);
      },
    }),
    // A socket that closed, failed to open or stopped answering: the next attempt goes to the
    // next node. One node is this one again, so a single URL behaves as it always did.
    nextNode: assign({ node: ({ context }) => (context.node + 1) % context.urls.length }),
    resetBackoff: assign({ baseDelayMs: ({ context }) => context.reconnect.initialDelayMs }),
    scheduleBackoff: assign(({ context, event }) => {
      const { value, state } = nextRandom(context.rng);
      // A named wait is that node's word about itself: with more nodes the next attempt goes
      // elsewhere (`nextNode` ran first), so the ordinary backoff applies. Named 0 (a buggy or
      // hostile server) is held to the floor a configuration has, or the loop runs hot.
      const named = event.type === 'socket.closed' && context.urls.length === 1 ? event.backoffMs : undefined;
      return {
        backoffMs: named === undefined ? jittered(context.baseDelayMs, value) : Math.max(named, MIN_RETRY_DELAY_MS),
        baseDelayMs: grown(context.baseDelayMs, context.reconnect),
        rng: state,
      };
    }),
    schedulePing: assign(({ context }) => {
      const { value, state } = nextRandom(context.rng);
      return { pingDelayMs: jitter(context.keepalive.pingIntervalMs, pingJitterShare, value), rng: state };
    }),
  },
  guards: {
    isNewSession: ({ context, event }) =>
      event.type === 'session.attach' && !context.sessions.has(event.sessionId),
    isLastSession: ({ context, event }) =>
      event.type === 'session.detach' && context.sessions.size === 1 && context.sessions.has(event.sessionId),
    isAttached: ({ context, event }) => event.type === 'session.detach' && context.sessions.has(event.sessionId),
  },
  delays: {
    // The server's word, within what a timer can wait (see MAX_TIMER_DELAY_MS).
    backoff: ({ context }) => Math.min(context.backoffMs, MAX_TIMER_DELAY_MS),
    pingInterval: ({ context }) => context.pingDelayMs,
    pongTimeout: ({ context }) => context.keepalive.pongTimeoutMs,
    connectTimeout: ({ context }) => context.connectTimeoutMs,
    linger: ({ context }) => context.lingerMs,
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => {
    const reconnect = { ...defaultReconnect, ...input.reconnect };
    return {
      ...(input.label === undefined ? {} : { label: input.label }),
      reconnect,
      keepalive: { ...defaultKeepalive, ...input.keepalive },
      connectTimeoutMs: input.connectTimeoutMs ?? defaultConnectTimeoutMs,
      lingerMs: input.lingerMs ?? 30_000,
      urls: input.urls,
      node: 0,
      sessions: MemberSet.empty,
      baseDelayMs: reconnect.initialDelayMs,
      backoffMs: 0,
      pingDelayMs: 0,
      rng: input.seed ?? 1,
    };
  },
  initial: 'idle',
  states: {
    idle: {
      on: {
        'session.attach': { guard: 'isNewSession', target: 'online', actions: 'addSession' },
      },
    },
    online: {
      invoke: { id: 'socket', src: 'socket', input: ({ context }) => ({ url: currentUrl(context) }) },
      initial: 'connecting',
      on: {
        'socket.closed': { target: 'backingOff' },
        'session.detach': detach('idle'),
      },
      states: {
        connecting: {
          tags: 'holdsProcess',
          entry: { type: 'notify', params: everyone('connection.connecting') },
          on: {
            'session.attach': {
              guard: 'isNewSession',
              actions: ['addSession', { type: 'notify', params: newcomer('connection.connecting') }],
            },
            'socket.open': 'connected',
            // As in `connected`: the attempt under way goes on (it has its timeout), and a
            // failure of it waits the initial delay, not a base grown while the network was out.
            reconnect: { actions: 'resetBackoff' },
          },
          // No answer in time is a failure of this node: the next attempt goes to the next one.
          after: { connectTimeout: '#connection.backingOff' },
        },
        connected: {
          tags: 'holdsProcess',
          entry: { type: 'notify', params: everyone('connection.open') },
          initial: 'quiet',
          on: {
            'session.attach': {
              guard: 'isNewSession',
              actions: ['addSession', { type: 'notify', params: newcomer('connection.open') }],
            },
            'session.detach': detach('lingering'),
            'server.ident': { actions: 'resetBackoff' },
            reconnect: { actions: 'resetBackoff' },
          },
          states: {
            quiet: {
              entry: 'schedulePing',
              after: { pingInterval: 'awaitingPong' },
            },
            awaitingPong: {
              entry: 'sendPing',
              on: { pong: 'quiet' },
              after: { pongTimeout: '#connection.backingOff' },
            },
          },
        },
        lingering: {
          on: {
            'session.attach': {
              guard: 'isNewSession',
              target: 'connected',
              actions: 'addSession',
            },
            'socket.closed': '#connection.idle',
          },
          after: { linger: '#connection.idle' },
        },
      },
    },
    backingOff: {
      // The wait before the next try holds it: a dying session's changes are still to go.
      tags: 'holdsProcess',
      // Every way in is a failure of the current node (closed, no PONG, no open in time): the
      // ordinary wait applies to the move to the next one too.
      entry: ['nextNode', 'scheduleBackoff', { type: 'notify', params: everyone('connection.lost') }],
      on: {
        'session.attach': { guard: 'isNewSession', actions: 'addSession' },
        'session.detach': detach('idle'),
        reconnect: { target: 'online', actions: 'resetBackoff' },
      },
      after: { backoff: 'online' },
    },
  },
});

/**
 * Whether the connection in `snapshot` keeps the process alive: some session is attached (it
 * is connecting, connected, or waiting to try again for one). The runtime refs or unrefs the
 * socket and the chart's timers by this after every step.
 */
export const holdsProcess = (snapshot: SnapshotFrom<typeof connectionMachine>): boolean => snapshot.hasTag('holdsProcess');

/** A configuration whose backoff base takes few values (1, 2, 4 s), so the walk is finite. */
export const connectionInputs: readonly ConnectionInput[] = [
  { urls: ['ws://node-a/sync'], reconnect: { initialDelayMs: 1_000, maxDelayMs: 4_000, multiplier: 2 }, seed: 7 },
  { urls: ['ws://node-a/sync', 'ws://node-b/sync', 'ws://node-c/sync'], reconnect: { initialDelayMs: 1_000, maxDelayMs: 4_000, multiplier: 2 }, seed: 7 },
];

/** The shared connection's alphabet: two sessions, the socket's happenings (a named wait of 250 ms and of 0), the user's reconnect. */
export const connectionEvents: readonly ConnectionEvent[] = [
  { type: 'session.attach', sessionId: 'a' },
  { type: 'session.attach', sessionId: 'b' },
  { type: 'session.detach', sessionId: 'a' },
  { type: 'session.detach', sessionId: 'b' },
  { type: 'socket.open' },
  { type: 'socket.closed' },
  { type: 'socket.closed', backoffMs: 250 },
  { type: 'socket.closed', backoffMs: 0 },
  { type: 'server.ident' },
  { type: 'pong' },
  { type: 'reconnect' },
];
