/**
 * `startServerCore`: the server's logic with no network. Auth requests are objects handed to
 * `answerAuth`, sync sockets are in-test `ServerSocket`s (frames in with `deliver`, frames out
 * in an array); no port is opened, no HTTP or WebSocket is spoken.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeServerMessage, encodeMessage, type ClientMessage, type ServerMessage } from '../../src/protocol/index.js';
import { startServerCore, type AuthAnswer, type ServerCore, type ServerSocket, type ServerSocketHandlers } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';

/** A sync socket with nothing behind it: what the server sends is kept, what the test delivers is a client frame. */
class TestSocket implements ServerSocket {
  /** Every frame the server sent, in order. */
  readonly sent: string[] = [];
  /** The server's close, if it closed (or cut) the socket. */
  closedWith: { readonly code: number; readonly reason: string } | 'terminated' | undefined;
  isPaused = false;
  readonly bufferedAmount = 0;
  readonly remoteAddress = '10.0.0.7';
  private handlers: ServerSocketHandlers | undefined;
  private open = true;
  /** The closed event was told (or is on its way). */
  private ended = false;
  private readonly waiters = new Set<() => void>();
  /** Whether `terminate` was called. */
  terminated = false;

  /** `closeHangs`: a peer that never answers the closing handshake, so only `terminate` ends the socket. */
  constructor(private readonly closeHangs = false) {}

  get isOpen(): boolean {
    return this.open;
  }

  listen(handlers: ServerSocketHandlers): void {
    if (this.handlers !== undefined) throw new Error('listen called twice');
    this.handlers = handlers;
  }

  send(frame: string): void {
    if (!this.open) return;
    this.sent.push(frame);
    this.wake();
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
    if (this.closeHangs) {
      // Closing: nothing more goes out, and the closed event waits for the peer.
      this.open = false;
      this.wake();
    } else this.end();
  }

  terminate(): void {
    this.terminated = true;
    this.closedWith ??= 'terminated';
    this.end();
  }

  pause(): void {
    this.isPaused = true;
  }

  resume(): void {
    this.isPaused = false;
  }

  /** A frame from the client. */
  deliver(message: ClientMessage): void {
    if (this.handlers === undefined) throw new Error('the server does not listen on this socket');
    this.handlers.frame(Buffer.from(encodeMessage(message, 'client'), 'utf8'), false);
  }

  /** What the server sent, decoded. */
  messages(): ServerMessage[] {
    return this.sent.map((frame) => {
      const decoded = decodeServerMessage(frame);
      if (decoded._tag === 'Left') throw new Error(`the server sent a bad frame: ${decoded.left.message}`);
      return decoded.right;
    });
  }

  /**
   * Resolves with the `count`th message that matches, once the server sent it; rejects when the
   * socket is closed before. Waits on the server's sends, not on a timer.
   */
  async next(match: (message: ServerMessage) => boolean, count = 1): Promise<ServerMessage> {
    for (;;) {
      const found = this.messages().filter(match);
      if (found.length >= count) return found[count - 1]!;
      if (!this.open) throw new Error(`closed without the message; sent ${JSON.stringify(this.messages()).slice(0, 400)}`);
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.open = false;
    this.wake();
    // As a WebSocket tells it: the closed event comes after the call.
    queueMicrotask(() => this.handlers?.closed());
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
    this.waiters.clear();
  }
}

const is =
  (type: ServerMessage['type'], session = 1) =>
  (m: ServerMessage): boolean =>
    m.type === type && (!('session' in m) || m.session === session);

let dir: string;
let core: ServerCore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'server-core-'));
  core = await startServerCore({ dataDir: dir, users: [{ email: 'ann@example.com', password: 'right' }] });
  core.start();
});
afterEach(async () => {
  await core.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<AuthAnswer> =>
  core.answerAuth({ method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), remoteAddress: '10.0.0.7' });
const json = (answer: AuthAnswer): Record<string, unknown> => JSON.parse(answer.body) as Record<string, unknown>;

describe('startServerCore with no network', () => {
  it('answers logins and refreshes as the HTTP routes do', async () => {
    const ann = await post('/auth/login', { provider: 'emailPassword', email: 'ann@example.com', password: 'right' });
    expect(ann.status).toBe(200);
    expect(ann.headers['content-type']).toBe('application/json');
    const tokens = json(ann);
    expect(tokens).toMatchObject({ userId: expect.any(String), accessToken: expect.any(String), refreshToken: expect.any(String) });

    expect((await post('/auth/login', { provider: 'emailPassword', email: 'ann@example.com', password: 'wrong' })).status).toBe(401);
    expect((await post('/auth/login', { provider: 'anonymous' })).status).toBe(200);
    const refreshed = await post('/auth/refresh', { refreshToken: tokens.refreshToken });
    expect({ status: refreshed.status, userId: json(refreshed).userId }).toEqual({ status: 200, userId: tokens.userId });
    expect((await post('/auth/refresh', {}, { authorization: `Bearer ${String(tokens.refreshToken)}` })).status).toBe(200);

    expect((await post('/auth/login', 'not json')).status).toBe(400);
    expect((await core.answerAuth({ method: 'GET', path: '/auth/login', headers: {}, body: '', remoteAddress: '10.0.0.7' })).status).toBe(405);
    const elsewhere = await core.answerAuth({ method: 'POST', path: '/nothing?x=1', headers: {}, body: '', remoteAddress: '10.0.0.7' });
    expect({ status: elsewhere.status, body: json(elsewhere) }).toEqual({ status: 404, body: { error: 'no route POST /nothing?x=1' } });
  });

  it('refuses an auth body over 16 KiB itself (a caller that hands it over whole bypasses the HTTP reader)', async () => {
    const padded = (bytes: number) => {
      const base = JSON.stringify({ provider: 'anonymous', pad: '' });
      return JSON.stringify({ provider: 'anonymous', pad: 'x'.repeat(bytes - Buffer.byteLength(base)) });
    };
    expect(Buffer.byteLength(padded(16 * 1024))).toBe(16 * 1024);
    expect((await post('/auth/login', padded(16 * 1024))).status).toBe(200);
    const over = await post('/auth/login', padded(16 * 1024 + 1));
    expect({ status: over.status, body: json(over) }).toEqual({ status: 413, body: { error: 'body too large' } });
    // Counted in UTF-8 bytes, not characters.
    const wide = JSON.stringify({ provider: 'anonymous', pad: 'é'.repeat(9 * 1024) });
    expect((await post('/auth/login', wide)).status).toBe(413);
  });

  it('speaks the sync protocol on a socket handed to accept: IDENT, DOWNLOAD, an upload acknowledged and fanned out, MARK', async () => {
    const { accessToken } = json(await post('/auth/login', { provider: 'anonymous' })) as { accessToken: string };
    const a = new TestSocket();
    const b = new TestSocket();
    core.accept(a);
    core.accept(b);
    for (const [socket, fileIdent] of [[a, 'file-a'], [b, 'file-b']] as const) {
      socket.deliver({ type: 'bind', session: 1, partition: 'team', token: accessToken });
      socket.deliver({ type: 'ident', session: 1, fileIdent });
      expect(await socket.next(is('ident'))).toMatchObject({ type: 'ident', session: 1, fileIdent, epoch: expect.any(String) });
      expect(await socket.next(is('download'))).toMatchObject({ type: 'download', session: 1, changesets: [], uploadAck: 0 });
    }

    a.deliver({ type: 'upload', session: 1, changesets: [putTask('file-a', 1, 't1')], progress: { clientVersion: 1, serverVersion: 0 } });
    expect(await a.next(is('download'), 2)).toMatchObject({ changesets: [], uploadAck: 1, cursors: { serverVersion: 1, clientVersion: 1 } });
    const fanned = await b.next(is('download'), 2);
    expect(fanned).toMatchObject({ uploadAck: 0, cursors: { serverVersion: 1 } });
    expect(fanned.type === 'download' && fanned.changesets.map((c) => [c.origin, c.serverVersion])).toEqual([['file-a', 1]]);

    b.deliver({ type: 'mark', session: 1, requestId: 'after' });
    expect(await b.next(is('mark'))).toEqual({ type: 'mark', session: 1, requestId: 'after' });
    expect(core.sockets()).toHaveLength(2);
  });

  it('close tells every socket the server is going away, and a socket accepted after is closed at once', async () => {
    const { accessToken } = json(await post('/auth/login', { provider: 'anonymous' })) as { accessToken: string };
    const socket = new TestSocket();
    core.accept(socket);
    socket.deliver({ type: 'bind', session: 1, partition: 'team', token: accessToken });
    socket.deliver({ type: 'ident', session: 1, fileIdent: 'f' });
    await socket.next(is('download'));
    await core.close();
    expect(socket.messages().at(-1)).toMatchObject({ type: 'error', code: 'serverShuttingDown' });
    expect(socket.closedWith).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(core.sockets()).toEqual([]);


    const late = new TestSocket();
    core.accept(late);
    expect({ closed: late.closedWith, sent: late.sent }).toEqual({ closed: { code: 1001, reason: 'server shutting down' }, sent: [] });
  });

  it('close cuts a socket whose closing handshake never completes, after the settle it is given', async () => {
    const { accessToken } = json(await post('/auth/login', { provider: 'anonymous' })) as { accessToken: string };
    const silent = new TestSocket(true);
    core.accept(silent);
    silent.deliver({ type: 'bind', session: 1, partition: 'team', token: accessToken });
    silent.deliver({ type: 'ident', session: 1, fileIdent: 'f' });
    await silent.next(is('download'));
    const order: string[] = [];
    await core.close(async () => void order.push(silent.terminated ? 'settle after the cut' : 'settle before the cut'));
    expect({ order, closedWith: silent.closedWith, terminated: silent.terminated }).toEqual({
      order: ['settle before the cut'],
      closedWith: { code: 1001, reason: 'server shutting down' },
      terminated: true,
    });
  });

  it('opens no port: nothing listens while the core serves', async () => {
    const listening = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap' || kind === 'PipeServerWrap').length;
    const before = listening();
    const socket = new TestSocket();
    core.accept(socket);
    const { accessToken } = json(await post('/auth/login', { provider: 'anonymous' })) as { accessToken: string };
    socket.deliver({ type: 'bind', session: 1, partition: 'team', token: accessToken });
    socket.deliver({ type: 'ident', session: 1, fileIdent: 'f' });
    await socket.next(is('download'));
    expect(listening()).toBe(before);
  });
});
