import { createActor, fromCallback, type Actor, type EventObject } from 'xstate';
import {
  connectionMachine,
  holdsProcess,
  type ConnectionEvent,
  type ConnectionLabel,
  type ConnectionNotice,
  type NonEmptyList,
  type SocketInput,
} from '../../machines/connection.machine.js';
import { decodeServerMessage, encodeMessage, type ClientMessage, type ServerMessage } from '../protocol/index.js';
import type { Transport, TransportSocket } from '../transport/transport.js';
import type { ResolvedAppConfig } from './app-config.js';
import { HeldClock } from './held-clock.js';

/** A session as its connection sees it. */
export interface ConnectionMember {
  /** Unique among the connection's members (the session's realm path). */
  readonly memberId: string;
  /** The shared socket is connecting, open, or lost. */
  notice(notice: ConnectionNotice): void;
  /** A server message for one of the session numbers this member holds. */
  deliver(message: ServerMessage): void;
  /** The server sent something that is no message: a protocol error for every bound session. */
  serverViolatedProtocol(reason: string): void;
}

/** How a shared connection is set up: the app's timing, logger and inspector, and where to connect. */
export interface SharedConnectionOptions extends Pick<ResolvedAppConfig, 'reconnect' | 'keepalive' | 'connectTimeoutMs' | 'lingerMs' | 'logger' | 'inspect' | 'clock' | 'random'> {
  /** The sync URLs of the server's nodes; the chart picks the one each socket goes to. */
  readonly urls: NonEmptyList<string>;
  readonly transport: Transport;
  /** The headers of every upgrade of this connection: the user agent and its sessions' custom headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Whose socket this is, carried in the chart's context for inspectors. */
  readonly label?: ConnectionLabel;
  /** Seed of the backoff jitter; random unless a test fixes it. */
  readonly seed?: number;
}

/**
 * One socket per (server, user, custom headers), shared by that user's sessions whose
 * `customHttpHeaders` are equal (docs/SEMANTICS.md §2.1): the connection chart
 * (`connection.machine.ts`) decides when to open, back off, ping and linger; this runs its
 * effects (the socket, notices to sessions, PING) and routes server messages to sessions by
 * session number. A number is used for one BIND only, so a late answer to an old binding never
 * reaches the next one. The socket and the chart's timers keep the process alive only while the
 * chart says a session is attached (`holdsProcess`): a socket lingering for reuse does not.
 */
export class SharedConnection {
  readonly actor: Actor<typeof connectionMachine>;
  private socket: TransportSocket | undefined;
  private readonly members = new Map<string, ConnectionMember>();
  /**
   * The bindings: who each session number is routed to, and each member's number. Kept here
   * only (a session asks for its number), so a dropped socket forgets them in one place.
   */
  private readonly routes = new Map<number, ConnectionMember>();
  private readonly numbers = new Map<ConnectionMember, number>();
  private nextNumber = 1;
  private stopped = false;

  constructor(private readonly options: SharedConnectionOptions) {
    const machine = connectionMachine.provide({
      actors: {
        // The URL is the chart's choice (its `node`), handed over as the actor's input.
        socket: fromCallback<EventObject, SocketInput>(({ sendBack, input }) => {
          let live = true;
          let namedBackoff: number | undefined;
          let socket: TransportSocket;
          const handshake = { headers: options.headers ?? {} };
          try {
            socket = options.transport.connect(input.url, {
              open: () => {
                if (live) sendBack({ type: 'socket.open' });
              },
              frame: (text) => {
                if (!live) return;
                const decoded = decodeServerMessage(text);
                if (decoded._tag === 'Left') {
                  // docs/SEMANTICS.md §5.2: a malformed message is a protocol error of the sessions that
                  // could have received it; the socket is closed.
                  options.logger.warn('server sent a frame that is no message; dropping the socket', { reason: decoded.left.message });
                  const bound = new Set(this.routes.values());
                  queueMicrotask(() => bound.forEach((member) => member.serverViolatedProtocol(decoded.left.message)));
                  socket.close();
                  return;
                }
                const message = decoded.right;
                if (message.type === 'pong') sendBack({ type: 'pong' });
                else if (message.type === 'ident') sendBack({ type: 'server.ident' });
                if (message.type === 'error' && message.session === undefined) {
                  options.logger.warn('connection error from the server', { code: message.code, message: message.message });
                  namedBackoff = message.backoffMs;
                  return;
                }
                if ('session' in message && message.session !== undefined) this.routes.get(message.session)?.deliver(message);
              },
              closed: (reason) => {
                if (!live) return;
                live = false;
                this.socket = undefined;
                options.logger.info('socket closed', { url: input.url, reason });
                sendBack(namedBackoff === undefined ? { type: 'socket.closed' } : { type: 'socket.closed', backoffMs: namedBackoff });
              },
            }, handshake);
          } catch (error) {
            // A socket that cannot even be made (an embedder's transport, a URL `ws` refuses) is a
            // failed attempt on this node like any other, so the chart moves on. Reported after
            // this step: the actor is starting inside the chart's transition.
            options.logger.warn('the transport could not open a socket', { url: input.url, error: String(error) });
            queueMicrotask(() => {
              if (live) sendBack({ type: 'socket.closed' });
            });
            return () => {
              live = false;
            };
          }
          // A transport may report `closed` from inside `connect`: that socket is gone already.
          if (live) this.socket = socket;
          return () => {
            live = false;
            if (this.socket === socket) this.socket = undefined;
            socket.close();
          };
        }),
      },
      actions: {
        notify: (_, { sessions, notice }) => {
          if (notice === 'connection.lost') {
            this.routes.clear();
            this.numbers.clear();
          }
          // Delivered after this transition: one actor never runs inside another's action.
          const members = sessions.map((id) => this.members.get(id));
          queueMicrotask(() => members.forEach((member) => member?.notice(notice)));
        },
        sendPing: () => this.send({ type: 'ping', timestamp: options.clock.now() }),
      },
    });
    const clock = new HeldClock(options.clock, () => holdsProcess(this.actor.getSnapshot()));
    this.actor = createActor(machine, {
      clock,
      input: {
        ...(options.label === undefined ? {} : { label: options.label }),
        reconnect: options.reconnect,
        keepalive: options.keepalive,
        connectTimeoutMs: options.connectTimeoutMs,
        lingerMs: options.lingerMs,
        urls: options.urls,
        seed: options.seed ?? Buffer.from(options.random(4)).readUInt32BE(0) % 2 ** 31,
      },
      ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
    });
    // After every step: the chart may have attached its first session or let go of its last.
    this.actor.subscribe((snapshot) => {
      const hold = holdsProcess(snapshot);
      clock.follow();
      this.socket?.holdProcess?.(hold);
    });
    this.actor.start();
  }

  /** The session joins: the chart opens the socket if needed and tells it how things stand. */
  attach(member: ConnectionMember): void {
    this.members.set(member.memberId, member);
    this.post({ type: 'session.attach', sessionId: member.memberId });
  }

  /** The session leaves (a member that is not attached is no change); the last one to leave starts the linger. */
  detach(member: ConnectionMember): void {
    this.forget(member);
    if (this.members.get(member.memberId) !== member) return;
    this.members.delete(member.memberId);
    this.post({ type: 'session.detach', sessionId: member.memberId });
  }

  /** A fresh session number routed to `member`, for one BIND; an earlier binding of it is forgotten. */
  bind(member: ConnectionMember): number {
    this.forget(member);
    const number = this.nextNumber++;
    this.routes.set(number, member);
    this.numbers.set(member, number);
    return number;
  }

  /** The session number `member` is bound with on the current socket, if any. */
  numberOf(member: ConnectionMember): number | undefined {
    return this.numbers.get(member);
  }

  /** Ends `member`'s binding: UNBIND goes out, and its number is routed no more. */
  unbind(member: ConnectionMember): void {
    const number = this.numbers.get(member);
    if (number === undefined) return;
    this.send({ type: 'unbind', session: number });
    this.forget(member);
  }

  private forget(member: ConnectionMember): void {
    const number = this.numbers.get(member);
    if (number === undefined) return;
    this.numbers.delete(member);
    this.routes.delete(number);
  }

  /** Sends on the socket if it is open; a message sent while it is not would be lost anyway. */
  send(message: ClientMessage): void {
    this.socket?.send(encodeMessage(message, 'client'));
  }

  /** Skips a backoff under way and resets it (docs/SEMANTICS.md §2). */
  reconnect(): void {
    this.post({ type: 'reconnect' });
  }

  /**
   * Sends to the connection actor after the current step: sessions call this from their own
   * actions, and an actor's transition must not run inside another actor's action.
   */
  private post(event: ConnectionEvent): void {
    queueMicrotask(() => {
      if (!this.stopped) this.actor.send(event);
    });
  }

  /** Closes the socket for good (the app is shutting down). */
  stop(): void {
    this.stopped = true;
    this.actor.stop();
    this.members.clear();
    this.routes.clear();
    this.numbers.clear();
  }
}
