import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type ServerOptions, type SyncServer } from '../../src/server/index.js';
import { is, logIn, WireClient, type Login } from '../support/wire-client.js';

let dir: string;
let server: SyncServer | undefined;
const sockets: WireClient[] = [];

async function start(options: Partial<ServerOptions>): Promise<SyncServer> {
  server = await startServer({ dataDir: dir, ...options });
  return server;
}

async function open(s: SyncServer): Promise<WireClient> {
  const c = await WireClient.connect(s.url);
  sockets.push(c);
  return c;
}

/** Binds and identifies `session`; the server's first answer to it (`ident`, or the error). */
async function bind(c: WireClient, session: number, login: Login, partition = `p${session}`) {
  c.send({ type: 'bind', session, partition, token: login.accessToken });
  c.send({ type: 'ident', session, fileIdent: `f${session}` });
  return c.next((m) => (m.type === 'ident' || m.type === 'error') && 'session' in m && m.session === session);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'limits-'));
});
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close());
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('per-socket and per-user limits', () => {
  it('a socket binding maxSessionsPerSocket + 1 sessions gets tooManySessions for the extra one; the others are served', async () => {
    const s = await start({ maxSessionsPerSocket: 3 });
    const user = await logIn(s.url);
    const c = await open(s);
    const answers = [];
    for (let session = 1; session <= 4; session++) answers.push(await bind(c, session, user));
    console.info(`maxSessionsPerSocket 3, 4 BINDs: ${answers.map((a) => (a.type === 'error' ? a.code : a.type)).join(', ')}`);
    expect(answers.slice(0, 3).map((a) => a.type)).toEqual(['ident', 'ident', 'ident']);
    expect(answers[3]).toMatchObject({ type: 'error', code: 'tooManySessions', session: 4, isFatal: false, tryAgain: true });
    // The refused session was never bound; the socket and its sessions go on.
    c.send({ type: 'mark', session: 4, requestId: 'm4' });
    expect(await c.next(is('error', 4))).toMatchObject({ code: 'unknownSession' });
    c.send({ type: 'mark', session: 1, requestId: 'm1' });
    await c.next(is('mark', 1));
    // A place freed is a place to bind again.
    c.send({ type: 'unbind', session: 2 });
    await c.next(is('unbound', 2));
    expect(await bind(c, 5, user)).toMatchObject({ type: 'ident' });
    expect(s.sockets()).toEqual([expect.objectContaining({ sessions: 3 })]);
  });

  it('a user with sessions on maxSocketsPerUser sockets gets tooManySockets on one more; other users are not affected', async () => {
    const s = await start({ maxSocketsPerUser: 2 });
    const ann = await logIn(s.url);
    const bob = await logIn(s.url);
    const first = await open(s);
    const second = await open(s);
    const third = await open(s);
    expect(await bind(first, 1, ann)).toMatchObject({ type: 'ident' });
    expect(await bind(second, 1, ann)).toMatchObject({ type: 'ident' });
    // More sessions on a socket the user already has are no more sockets.
    expect(await bind(second, 2, ann)).toMatchObject({ type: 'ident' });
    const refused = await bind(third, 1, ann);
    console.info(`maxSocketsPerUser 2, ann binds on a third socket: ${refused.type === 'error' ? refused.code : refused.type}`);
    expect(refused).toMatchObject({ type: 'error', code: 'tooManySockets', session: 1 });
    expect(await bind(third, 2, bob)).toMatchObject({ type: 'ident' });
    // A socket counts until its last session of the user ends.
    first.send({ type: 'unbind', session: 1 });
    await first.next(is('unbound', 1));
    expect(await bind(third, 3, ann)).toMatchObject({ type: 'ident' });
  });

  it.each([
    ['maxSocketBufferBytes', 0],
    ['maxSocketBufferBytes', 1024],
    ['maxFramesPerSecond', 1.5],
    ['maxOpenHistories', 0],
    ['maxSessionsPerSocket', -1],
    ['maxSocketsPerUser', '8'],
    ['headersTimeoutMs', Number.NaN],
    ['requestTimeoutMs', 10],
    ['maxConnections', 0],
  ])('refuses %s = %s with a TypeError naming it', async (field, value) => {
    await expect(startServer({ dataDir: dir, headersTimeoutMs: 1_000, [field]: value } as ServerOptions)).rejects.toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining(field) }),
    );
  });
});
