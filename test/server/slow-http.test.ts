import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { is, logIn, WireClient, type Login } from '../support/wire-client.js';

/** How long a slow client dribbles before it gives up itself: far past the server's timeouts. */
const DRIBBLE_FOR_MS = 30_000;
const DRIBBLE_EVERY_MS = 250;

let dir: string;
let server: SyncServer;
const opened: Socket[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slow-http-'));
  server = await startServer({ dataDir: dir, headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, maxConnections: 100 });
});
afterEach(async () => {
  opened.splice(0).forEach((s) => s.destroy());
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface SlowClient {
  /** Resolves when the connection closed: `cut` if the server closed it while the client was still sending. */
  readonly done: Promise<{ cut: boolean; answer: string }>;
  readonly connected: Promise<void>;
}

/** A raw TCP client that sends `opening`, then one `drip` every DRIBBLE_EVERY_MS (a bounded number of times). */
function slowClient(opening: string, drip: string): SlowClient {
  const socket = connect(server.port, '127.0.0.1');
  opened.push(socket);
  let answer = '';
  let givenUp = false;
  let timer: NodeJS.Timeout | undefined;
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.on('data', (d) => (answer += d.toString()));
  socket.on('error', () => undefined);
  const done = new Promise<{ cut: boolean; answer: string }>((resolve) =>
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ cut: !givenUp, answer });
    }),
  );
  void connected.then(() => {
    socket.write(opening);
    let drips = 0;
    const dribble = () => {
      if (socket.destroyed) return;
      if (++drips > DRIBBLE_FOR_MS / DRIBBLE_EVERY_MS) {
        givenUp = true;
        socket.destroy();
        return;
      }
      socket.write(drip);
      timer = setTimeout(dribble, DRIBBLE_EVERY_MS);
    };
    timer = setTimeout(dribble, DRIBBLE_EVERY_MS);
  });
  return { done, connected };
}

/** An anonymous login on a connection that is closed once it is answered (it would hold a place otherwise). */
function logInAndClose(): Promise<Login> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/auth/login`, { method: 'POST', agent: false, headers: { connection: 'close', 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d.toString()));
      res.on('end', () => {
        const done = () => resolve(JSON.parse(text) as Login);
        if (res.socket.destroyed) done();
        else res.socket.once('close', done);
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify({ provider: 'anonymous' }));
  });
}

describe('slow HTTP clients', () => {
  it('slow-loris POSTs to /auth/login (slow headers, slow bodies, more than maxConnections) are cut, while a normal login succeeds', async () => {
    const slowHeaders = Array.from({ length: 50 }, () => slowClient('POST /auth/login HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n'));
    const body = JSON.stringify({ provider: 'anonymous' });
    const slowBodies = Array.from({ length: 30 }, () =>
      slowClient(`POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 1_000}\r\n\r\n`, ' '),
    );
    await Promise.all([...slowHeaders, ...slowBodies].map((c) => c.connected));
    // 80 of 100 places are held: an ordinary client still gets in.
    const during = await logIn(server.url);
    expect(during.userId).toEqual(expect.any(String));

    // 200 more idle connections: past maxConnections the server drops them as they come.
    const idle = Array.from({ length: 200 }, () => slowClient('', ''));
    const results = await Promise.all([...slowHeaders, ...slowBodies, ...idle].map((c) => c.done));
    const [headers, bodies, idles] = [results.slice(0, 50), results.slice(50, 80), results.slice(80)];
    const cut = (rs: typeof results) => rs.filter((r) => r.cut).length;
    const timedOut = (rs: typeof results) => rs.filter((r) => r.answer.startsWith('HTTP/1.1 408')).length;
    const droppedBare = idles.filter((r) => r.cut && r.answer === '').length;
    console.info(
      `slow headers: ${cut(headers)}/50 cut by the server (${timedOut(headers)} with 408); slow bodies: ${cut(bodies)}/30 cut (${timedOut(bodies)} with 408); ` +
        `idle connections: ${cut(idles)}/200 cut, ${droppedBare} without an answer; a login while 80 were held: ok`,
    );
    expect(cut(headers)).toBe(50);
    expect(cut(bodies)).toBe(30);
    expect(cut(idles)).toBe(200);
    expect(droppedBare).toBeGreaterThan(0);
    // Those cut by the timeouts are told so (the idle ones past the cap are dropped bare).
    expect(timedOut(headers) + timedOut(bodies)).toBe(80);

    // The server is free again: a normal login after the storm succeeds.
    expect((await logIn(server.url)).userId).toEqual(expect.any(String));
  });

  it('sync sockets outlive requestTimeoutMs, and count toward maxConnections', async () => {
    await server.close();
    server = await startServer({ dataDir: dir, headersTimeoutMs: 200, requestTimeoutMs: 400, maxConnections: 2 });
    const login = await logInAndClose();
    const first = await WireClient.connect(server.url);
    const second = await WireClient.connect(server.url);
    try {
      await expect(WireClient.connect(server.url)).rejects.toThrow();
      // Several sweeps of the HTTP timeouts later, the upgraded sockets still serve.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      first.send({ type: 'bind', session: 1, partition: 'p', token: login.accessToken });
      first.send({ type: 'ident', session: 1, fileIdent: 'f' });
      await first.next(is('ident', 1));
      second.send({ type: 'ping', timestamp: 2 });
      expect(await second.next(is('pong'))).toMatchObject({ timestamp: 2 });
    } finally {
      first.close();
      second.close();
    }
  });
});
