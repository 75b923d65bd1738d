/**
 * A simulated network between client runtimes and one server, behind the runtime's own ports
 * (the sync socket's `Transport`, the auth requests' `AuthTransport`) and the server's
 * (`ServerSocket`, `answerAuth`). Each direction of a connection delivers in order, after
 * seeded delays; the faults are those of a real network: a connection cut (both ends told, after
 * a delay), a connect refused, a client partitioned from the server (nothing goes either way,
 * connects hang, and what was in flight arrives after healing, as TCP would retransmit it), and
 * a stalled direction (the server's frames to one client held until it resumes).
 */
import type { AuthAnswer, AuthRequest, AuthTransport } from '../transport/auth-transport.js';
import type { Transport, TransportHandlers, TransportSocket } from '../transport/transport.js';
import type { ServerSocket, ServerSocketHandlers } from '../server/server-socket.js';
import type { ClockView } from './sim-clock.js';
import type { SeededRandom } from './seeded-random.js';
import { Pulse } from './pulse.js';

/** The server as the network reaches it: what a listening server core offers. */
export interface SimEndpoint {
  /** A new sync socket, after the upgrade. */
  accept(socket: ServerSocket): void;
  /** One auth request. */
  answerAuth(request: { method: string; path: string; headers: Readonly<Record<string, string | undefined>>; body: string; remoteAddress: string }): Promise<AuthAnswer>;
}

/** Delays of the simulated network, in simulated ms. */
export interface NetworkDelays {
  /** Smallest and largest one-way delay of a message. */
  readonly minMs: number;
  readonly maxMs: number;
}

/** What the network carried, for a run's stats. */
export interface NetworkStats {
  framesToServer: number;
  framesToClients: number;
  /** `state` frames: documents of a partition's folded state, sent to a client bootstrapping from it. */
  stateFrames: number;
  connects: number;
  refused: number;
  cuts: number;
  authRequests: number;
}

/** One run of a client's process: its sockets and requests die with it. */
interface ProcessRun {
  alive: boolean;
}

type Item = { kind: 'frame'; text: string } | { kind: 'close'; reason: string; code?: number };

/** One direction of a connection: in order, each item after its delay. */
class Direction {
  readonly queue: Array<{ item: Item; due: number }> = [];
  private lastDue = 0;
  held = false;
  scheduled = false;

  constructor(
    private readonly network: SimNetwork,
    private readonly deliver: (item: Item) => void,
  ) {}

  push(item: Item): void {
    const due = Math.max(this.lastDue, this.network.clock.now() + this.network.delay());
    this.lastDue = due;
    this.queue.push({ item, due });
    this.kick();
  }

  /** Schedules delivery of the head, unless held or already scheduled. */
  kick(): void {
    if (this.held || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    const head = this.queue[0]!;
    this.network.clock.setTimeout(() => {
      this.scheduled = false;
      if (this.held) return;
      const next = this.queue.shift();
      if (next !== undefined) {
        this.network.activity();
        this.deliver(next.item);
      }
      this.kick();
    }, Math.max(1, head.due - this.network.clock.now()));
  }

  /** Bytes of frames not yet delivered. */
  bytes(): number {
    let n = 0;
    for (const { item } of this.queue) if (item.kind === 'frame') n += item.text.length;
    return n;
  }

  clear(): void {
    this.queue.length = 0;
  }
}

/** One sync connection between a client and the server. */
class Link {
  /** Client-side state. */
  clientClosed = false;
  /** Server-side state. */
  serverClosed = false;
  serverHandlers: ServerSocketHandlers | undefined;
  paused = false;
  readonly toServer: Direction;
  readonly toClient: Direction;
  readonly early: Item[] = [];

  constructor(
    readonly network: SimNetwork,
    readonly client: string,
    readonly handlers: TransportHandlers,
    /** The run of the client's process that opened it: nothing reaches a process that died. */
    readonly run: ProcessRun,
  ) {
    this.toServer = new Direction(network, (item) => this.atServer(item));
    this.toClient = new Direction(network, (item) => this.atClient(item));
  }

  private atServer(item: Item): void {
    if (this.serverClosed) return;
    if (item.kind === 'close') {
      this.serverClosed = true;
      this.serverHandlers?.closed();
      return;
    }
    this.network.stats.framesToServer++;
    if (this.serverHandlers === undefined) this.early.push(item);
    else this.network.track(this.serverHandlers.frame(Buffer.from(item.text, 'utf8'), false));
  }

  private atClient(item: Item): void {
    if (this.clientClosed || !this.run.alive) return;
    if (item.kind === 'close') {
      this.clientClosed = true;
      this.handlers.closed(item.code === undefined ? item.reason : `closed ${item.code} ${item.reason}`);
      // The server's end is done once the client saw the close.
      if (!this.serverClosed) {
        this.serverClosed = true;
        this.serverHandlers?.closed();
      }
      return;
    }
    this.network.stats.framesToClients++;
    // The server writes `state` frames with this prefix (state-frame.ts): a bootstrap from a fold.
    if (item.text.startsWith('{"type":"state"')) this.network.stats.stateFrames++;
    this.handlers.frame(item.text);
  }

  /** Holds or releases both directions (a partition). */
  hold(held: boolean): void {
    this.toServer.held = held || this.paused;
    this.toClient.held = held || this.network.isStalled(this.client);
    this.toServer.kick();
    this.toClient.kick();
  }

  /** Both ends learn the connection is gone (a reset), after the usual delay for the client. */
  cut(reason: string): void {
    this.toServer.clear();
    this.toClient.clear();
    if (!this.serverClosed) {
      this.serverClosed = true;
      this.serverHandlers?.closed();
    }
    if (!this.clientClosed) this.toClient.push({ kind: 'close', reason });
  }

  /** The server's machine died: the client learns of it (a reset) after a delay; the server end is just gone. */
  serverDied(keepSent: boolean): void {
    this.serverClosed = true;
    this.serverHandlers = undefined;
    this.toServer.clear();
    // What the server sent before it died was on the wire (it arrives) or in its buffers (lost).
    if (!keepSent) this.toClient.clear();
    if (!this.clientClosed) this.toClient.push({ kind: 'close', reason: 'ECONNRESET: the server machine crashed' });
  }

  /** The client's machine died: the server learns of it after a delay; the client end is gone. */
  clientDied(keepSent: boolean): void {
    this.clientClosed = true;
    this.toClient.clear();
    if (!keepSent) this.toServer.clear();
    if (!this.serverClosed) this.toServer.push({ kind: 'close', reason: 'ECONNRESET: the client machine crashed' });
  }
}

/** The simulated network of one world. */
export class SimNetwork {
  private server: SimEndpoint | undefined;
  private readonly links = new Set<Link>();
  /** Connections gone from `links` with something still queued: delivered once their client heals. */
  private readonly draining = new Set<Link>();
  private readonly partitioned = new Set<string>();
  private readonly stalled = new Set<string>();
  /** The current run of each client's process. */
  private readonly runs = new Map<string, ProcessRun>();
  /** The chance that a connect is refused while everything is up (a flaky network). */
  refuseChance = 0;
  private inFlight = 0;
  /** Fired when some tracked work finishes. */
  private readonly workFinished = new Pulse();
  private activityCount = 0;
  readonly stats: NetworkStats = { framesToServer: 0, framesToClients: 0, stateFrames: 0, connects: 0, refused: 0, cuts: 0, authRequests: 0 };

  constructor(
    /** The network's own timers (deliveries): they outlive any machine's crash. */
    readonly clock: ClockView,
    private readonly random: SeededRandom,
    private readonly delays: NetworkDelays = { minMs: 1, maxMs: 20 },
  ) {}

  /** A one-way delay. */
  delay(): number {
    return this.random.int(this.delays.minMs, this.delays.maxMs);
  }

  /** The server listens (after a start or a restart). */
  listen(server: SimEndpoint): void {
    this.server = server;
  }

  /** The server's machine crashed: it listens no more, and its connections die. */
  serverDown(): void {
    this.server = undefined;
    for (const link of [...this.links]) {
      link.serverDied(this.random.chance(0.5));
      this.retire(link);
    }
    // Held ones too: what they hold for the server must not reach a process that died.
    for (const link of this.draining) if (!link.serverClosed) link.serverDied(this.random.chance(0.5));
  }

  /** The client's machine crashed: its connections die. */
  clientDown(client: string): void {
    const run = this.runs.get(client);
    if (run !== undefined) run.alive = false;
    this.runs.delete(client);
    for (const link of [...this.links]) {
      if (link.client !== client) continue;
      link.clientDied(this.random.chance(0.5));
      this.retire(link);
    }
    for (const link of this.draining) if (link.client === client && !link.clientClosed) link.clientDied(this.random.chance(0.5));
  }

  /** Cuts every connection of `client` (both ends told). */
  cut(client: string): void {
    for (const link of [...this.links]) {
      if (link.client !== client) continue;
      this.stats.cuts++;
      link.cut('ECONNRESET: the simulated network cut the connection');
      this.retire(link);
    }
  }

  /** Nothing goes between `client` and the server until {@link heal}. */
  partition(client: string): void {
    this.partitioned.add(client);
    for (const link of this.links) if (link.client === client) link.hold(true);
  }

  /** Ends a partition (and a stall): what was held is delivered, in order (a close too, of a connection already given up). */
  heal(client: string): void {
    this.partitioned.delete(client);
    this.stalled.delete(client);
    for (const link of this.links) if (link.client === client) link.hold(false);
    for (const link of [...this.draining]) {
      if (link.client !== client) continue;
      this.draining.delete(link);
      link.hold(false);
    }
  }

  /**
   * Takes `link` out of the live connections. What it still holds (a close, frames sent before
   * a crash) stays queued, and a held one is delivered at the next heal of its client.
   */
  private retire(link: Link): void {
    this.links.delete(link);
    // A dead or closed peer applies no backpressure: only a partition or a stall still holds it.
    link.paused = false;
    link.hold(this.partitioned.has(link.client));
    const held = this.partitioned.has(link.client) || this.stalled.has(link.client);
    if (held && (link.toServer.queue.length > 0 || link.toClient.queue.length > 0)) this.draining.add(link);
  }

  /** Ends every partition and stall. */
  healAll(): void {
    for (const client of [...this.partitioned, ...this.stalled]) this.heal(client);
  }

  /** Holds the server's frames to `client` (it stops reading) until {@link heal}. */
  stall(client: string): void {
    this.stalled.add(client);
    for (const link of this.links) if (link.client === client) link.hold(this.partitioned.has(client));
  }

  /** @internal */
  isStalled(client: string): boolean {
    return this.stalled.has(client);
  }

  /** Whether `client` is partitioned now. */
  isPartitioned(client: string): boolean {
    return this.partitioned.has(client);
  }

  /** @internal Something happened (for the settle loop). */
  activity(): void {
    this.activityCount++;
  }

  /** How many things happened so far. */
  get activities(): number {
    return this.activityCount;
  }

  /** Work of the server this network started and that has not finished (frames, auth answers). */
  get busy(): number {
    return this.inFlight;
  }

  /** @internal Counts `work` as in flight until it settles. */
  track(work: void | Promise<unknown>): void {
    if (work === undefined) return;
    this.inFlight++;
    const done = (): void => {
      this.inFlight--;
      this.activityCount++;
      this.workFinished.fire();
    };
    work.then(done, done);
  }

  /** Resolves when some work of the server this network started next finishes. */
  workDone(): Promise<void> {
    return this.workFinished.next();
  }

  /** The socket port of client `client`. */
  transportFor(client: string): Transport {
    const run = this.runOf(client);
    return {
      connect: (_url, handlers) => this.connect(client, handlers, run),
    };
  }

  /** The auth request port of client `client`. */
  authTransportFor(client: string): AuthTransport {
    const run = this.runOf(client);
    return { request: (request) => this.authRequest(client, request, run) };
  }

  /** The run of `client`'s process now (a new one after {@link clientDown}). */
  private runOf(client: string): ProcessRun {
    let run = this.runs.get(client);
    if (run === undefined) {
      run = { alive: true };
      this.runs.set(client, run);
    }
    return run;
  }

  private connect(client: string, handlers: TransportHandlers, run: ProcessRun): TransportSocket {
    this.stats.connects++;
    this.activity();
    const link = new Link(this, client, handlers, run);
    const socket: TransportSocket = {
      send: (frame) => {
        if (link.clientClosed) return;
        link.toServer.push({ kind: 'frame', text: frame });
      },
      close: () => {
        if (link.clientClosed) return;
        link.clientClosed = true;
        handlers.closed('closed by the client');
        if (this.links.has(link)) link.toServer.push({ kind: 'close', reason: 'closed by the client' });
        this.retire(link);
      },
    };
    // A partitioned client's connect hangs: its own connect timeout ends it.
    if (this.partitioned.has(client)) {
      this.links.add(link);
      link.hold(true);
      this.whenReachable(link, () => this.open(link));
      return socket;
    }
    this.clock.setTimeout(() => this.open(link), this.delay());
    return socket;
  }

  /** Runs `then` once `link`'s client is no longer partitioned (checked at each delivery tick). */
  private whenReachable(link: Link, then: () => void): void {
    const check = (): void => {
      if (link.clientClosed) return;
      if (this.partitioned.has(link.client)) {
        this.clock.setTimeout(check, 50);
        return;
      }
      then();
    };
    this.clock.setTimeout(check, 50);
  }

  /** The upgrade reaches the server (or nothing listens). */
  private open(link: Link): void {
    if (link.clientClosed || !link.run.alive) return;
    const server = this.server;
    if (server === undefined || this.random.chance(this.refuseChance)) {
      this.stats.refused++;
      link.clientClosed = true;
      this.links.delete(link);
      if (link.run.alive) link.handlers.closed('ECONNREFUSED: nothing listens on the simulated server');
      return;
    }
    this.links.add(link);
    const serverSocket: ServerSocket = {
      listen: (h) => {
        link.serverHandlers = h;
        for (const item of link.early.splice(0)) if (item.kind === 'frame') this.track(h.frame(Buffer.from(item.text, 'utf8'), false));
      },
      send: (frame) => {
        if (link.serverClosed) return;
        link.toClient.push({ kind: 'frame', text: frame });
      },
      close: (code, reason) => {
        if (link.serverClosed) return;
        link.toClient.push({ kind: 'close', code, reason });
      },
      terminate: () => {
        if (link.serverClosed) return;
        link.cut('ECONNRESET: the server terminated the connection');
        this.retire(link);
      },
      get bufferedAmount() {
        return link.toClient.bytes();
      },
      get isOpen() {
        return !link.serverClosed;
      },
      pause: () => {
        link.paused = true;
        link.hold(this.partitioned.has(link.client));
      },
      resume: () => {
        link.paused = false;
        link.hold(this.partitioned.has(link.client));
      },
      get isPaused() {
        return link.paused;
      },
      remoteAddress: `sim-${link.client}`,
    };
    server.accept(serverSocket);
    link.hold(this.partitioned.has(link.client));
    // The upgrade's answer travels back like any frame.
    this.clock.setTimeout(() => {
      if (link.clientClosed || link.serverClosed || !link.run.alive) return;
      this.activity();
      link.handlers.open();
    }, this.delay());
  }

  private authRequest(client: string, request: AuthRequest, run: ProcessRun): Promise<AuthAnswer> {
    this.stats.authRequests++;
    this.activity();
    return new Promise<AuthAnswer>((resolve, reject) => {
      let settled = false;
      const timeout = this.clock.setTimeout(() => {
        if (settled || !run.alive) return;
        settled = true;
        reject(new Error(`ETIMEDOUT: no answer from the simulated server in ${request.timeoutMs} ms`));
      }, request.timeoutMs);
      const answer = (value: AuthAnswer | Error): void => {
        // A process that died is told nothing (its promise never settles, as in a dead process).
        if (settled || !run.alive) return;
        settled = true;
        this.clock.clearTimeout(timeout);
        this.activity();
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      this.clock.setTimeout(() => {
        // A partitioned client's request is lost: the timeout above ends it.
        if (this.partitioned.has(client)) return;
        const server = this.server;
        if (server === undefined) return answer(new Error('ECONNREFUSED: nothing listens on the simulated server'));
        const url = new URL(request.url);
        const work = server.answerAuth({ method: request.method, path: url.pathname, headers: request.headers, body: request.body, remoteAddress: `sim-${client}` });
        this.track(work);
        work.then(
          (value) => this.clock.setTimeout(() => (this.server === server && !this.partitioned.has(client) ? answer(value) : undefined), this.delay()),
          (error: unknown) => answer(error instanceof Error ? error : new Error(String(error))),
        );
      }, this.delay());
    });
  }
}
