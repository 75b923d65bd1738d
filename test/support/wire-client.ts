import { WebSocket } from 'ws';
import { decodeServerMessage, encodeMessage, type ClientMessage, type ServerMessage } from '../../src/protocol/index.js';
import { SUBPROTOCOL } from '../../src/server/index.js';

/** The tokens `POST /auth/login` returns. */
export interface Login {
  readonly userId: string;
  readonly accessToken: string;
  readonly refreshToken: string;
}

/** Logs in over HTTP; throws with the status when refused. */
export async function logIn(baseUrl: string, body: unknown = { provider: 'anonymous' }): Promise<Login> {
  const res = await fetch(`${baseUrl}/auth/login`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`login refused: ${res.status}`);
  return (await res.json()) as Login;
}

/**
 * A protocol client for tests: sends raw frames or messages over a real socket and waits for
 * what the server answers. Every wait is bounded.
 */
export class WireClient {
  readonly received: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const decoded = decodeServerMessage(data.toString('utf8'));
      if (decoded._tag === 'Left') throw new Error(`server sent a bad frame: ${decoded.left.message}`);
      this.received.push(decoded.right);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => {
      for (const wake of this.waiters.splice(0)) wake();
      resolve({ code, reason: reason.toString() });
    }));
  }

  /** Opens a socket to the server at `baseUrl` with the sync subprotocol. */
  static connect(baseUrl: string): Promise<WireClient> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/sync`, SUBPROTOCOL);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  send(message: ClientMessage): void {
    this.socket.send(encodeMessage(message, 'client'));
  }

  sendRaw(frame: string | Buffer): void {
    this.socket.send(frame);
  }

  /** The first message (received before or after the call) that matches, within `timeoutMs`. */
  async next<T extends ServerMessage>(match: (m: ServerMessage) => m is T, timeoutMs?: number): Promise<T>;
  async next(match: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  async next(match: (m: ServerMessage) => boolean, timeoutMs = 5_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex(match);
      if (index !== -1) return this.received.splice(index, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.readyState === WebSocket.CLOSED) {
        throw new Error(`no matching message within ${timeoutMs} ms; received ${JSON.stringify(this.received).slice(0, 400)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** A message of `type` (for `session`, if given). */
export const is =
  <K extends ServerMessage['type']>(type: K, session?: number) =>
  (m: ServerMessage): m is Extract<ServerMessage, { type: K }> =>
    m.type === type && (session === undefined || !('session' in m) || m.session === session);

/**
 * Connects a raw client and binds session 1 of `partition` as `fileIdent` (a file that never
 * synced), up to its first DOWNLOAD; `sockets` gets the client, for the test's cleanup.
 */
export async function bindSession(url: string, token: string, fileIdent: string, sockets: WireClient[], partition = 'team') {
  const client = await WireClient.connect(url);
  sockets.push(client);
  client.send({ type: 'bind', session: 1, partition, token });
  client.send({ type: 'ident', session: 1, fileIdent });
  await client.next(is('ident', 1));
  const first = await client.next(is('download', 1));
  return { client, first };
}
