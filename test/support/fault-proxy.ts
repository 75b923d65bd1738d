import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocket, WebSocketServer } from 'ws';
import { decodeClientMessage, SUBPROTOCOL, SYNC_PATH, type Changeset } from '../../src/protocol/index.js';

/** A client→server UPLOAD frame as the proxy saw it (`FaultProxy.uploads`). */
export interface SeenUpload {
  /** `performance.now()` when the proxy read it: comparable with the test's own readings. */
  readonly at: number;
  readonly session: number;
  readonly changesets: readonly Changeset[];
  /** Whether `dropUploads` kept it from the server. */
  readonly dropped: boolean;
}

/** One client socket and its upstream twin. */
interface Pair {
  readonly client: WebSocket;
  readonly upstream: WebSocket;
  /** Frames held while stalled, per direction. */
  readonly held: { toServer: string[]; toClient: string[] };
}

/**
 * A fault-injecting proxy in front of a real server, on 127.0.0.1: the app talks to it as it
 * would to the server (auth over HTTP, the sync socket), and a test can drop every socket,
 * stall them (hold frames both ways), refuse new ones, fail token refreshes as a network would,
 * make the server seem to send a frame it did not, or lose UPLOADs on the way to it (and it
 * records every UPLOAD a client sent, so a test can tell when one went out).
 */
export class FaultProxy {
  private readonly pairs = new Set<Pair>();
  private stalled = false;
  private refusing = false;
  private failingRefresh: false | 502 | 401 = false;
  private uploadsToDrop = 0;
  private http!: Server;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    const wss = new WebSocketServer({ noServer: true, handleProtocols: () => SUBPROTOCOL });
    this.http = createServer((req, res) => {
      if (this.failingRefresh !== false && req.url === '/auth/refresh') {
        res.writeHead(this.failingRefresh, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'proxy: refresh failed' }));
        return;
      }
      const upstream = request(`${this.target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    this.http.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      if (this.refusing || req.url !== SYNC_PATH) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (client) => this.pipe(client));
    });
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this;
  }

  /** Closes every socket at once, as a network failure would. */
  drop(): void {
    for (const pair of this.pairs) {
      pair.client.terminate();
      pair.upstream.terminate();
    }
    this.pairs.clear();
  }

  /** Holds every frame, both ways, until `stall(false)` delivers them. */
  stall(on: boolean): void {
    this.stalled = on;
    if (on) return;
    for (const pair of this.pairs) {
      for (const frame of pair.held.toServer.splice(0)) pair.upstream.send(frame);
      for (const frame of pair.held.toClient.splice(0)) pair.client.send(frame);
    }
  }

  /** While on, new sockets are refused (existing ones are not touched: `drop()` them). */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** `/auth/refresh` answers 502 (as an unreachable server would), 401 (a refusal), or passes (`false`). */
  failRefresh(how: false | 502 | 401): void {
    this.failingRefresh = how;
  }

  /** Sends `frame` to every client as if the server had, for the session number bound last. */
  inject(frame: (session: number) => object): void {
    if (this.lastBound === undefined) return;
    for (const pair of this.pairs) pair.client.send(JSON.stringify(frame(this.lastBound)));
  }

  /**
   * The next `count` UPLOAD frames, from any client, are lost on the way: the server never
   * sees them (so never acknowledges them), and the socket stays up, as when a server drops a
   * frame it could not take.
   */
  dropUploads(count: number): void {
    this.uploadsToDrop = count;
  }

  /** Every UPLOAD frame a client sent through the proxy, in the order it arrived. */
  readonly uploads: SeenUpload[] = [];

  /** The session number of the last BIND a client sent. */
  lastBound: number | undefined;

  get sockets(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    this.drop();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Records `frame` if it is an UPLOAD; true if it is one `dropUploads` loses. */
  private seenUpload(frame: string): boolean {
    // Only what may be an UPLOAD is decoded: the rest of the traffic passes as it came.
    if (!frame.includes('"type":"upload"')) return false;
    const decoded = decodeClientMessage(frame);
    if (decoded._tag === 'Left' || decoded.right.type !== 'upload') return false;
    const dropped = this.uploadsToDrop > 0;
    if (dropped) this.uploadsToDrop -= 1;
    this.uploads.push({ at: performance.now(), session: decoded.right.session, changesets: decoded.right.changesets, dropped });
    return dropped;
  }

  private pipe(client: WebSocket): void {
    const upstream = new WebSocket(`${this.target.replace(/^http/, 'ws')}${SYNC_PATH}`, SUBPROTOCOL);
    const pair: Pair = { client, upstream, held: { toServer: [], toClient: [] } };
    this.pairs.add(pair);
    const early: string[] = [];
    const end = () => {
      this.pairs.delete(pair);
      client.terminate();
      upstream.terminate();
    };
    client.on('message', (data: Buffer) => {
      const frame = data.toString();
      const bind = /^\{"type":"bind","session":(\d+)/.exec(frame);
      if (bind) this.lastBound = Number(bind[1]);
      if (this.seenUpload(frame)) return;
      if (upstream.readyState !== WebSocket.OPEN) early.push(frame);
      else if (this.stalled) pair.held.toServer.push(frame);
      else upstream.send(frame);
    });
    upstream.on('open', () => {
      for (const frame of early.splice(0)) upstream.send(frame);
    });
    upstream.on('message', (data: Buffer) => {
      if (this.stalled) pair.held.toClient.push(data.toString());
      else client.send(data.toString());
    });
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}
