import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changesetBytes } from '../../src/protocol/index.js';
import { startServer, type ServerOptions, type SyncServer } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { is, logIn, WireClient, type Login } from '../support/wire-client.js';

let dir: string;
let server: SyncServer;
let user: Login;
const sockets: WireClient[] = [];

async function start(options: Partial<ServerOptions> = {}): Promise<void> {
  server = await startServer({ dataDir: dir, ...options });
  user = await logIn(server.url);
}

async function session(fileIdent: string, partition = 'p', id = 1, client?: WireClient): Promise<WireClient> {
  const c = client ?? (await WireClient.connect(server.url));
  if (client === undefined) sockets.push(c);
  c.send({ type: 'bind', session: id, partition, token: user.accessToken });
  c.send({ type: 'ident', session: id, fileIdent });
  await c.next(is('ident', id));
  await c.next(is('download', id));
  return c;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'endpoint-'));
});
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close());
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sync endpoint', () => {
  it('acknowledges an upload in DOWNLOAD and fans it out to every other session of the partition only', async () => {
    await start();
    const a = await session('a');
    const b = await session('b');
    const other = await session('o', 'elsewhere');
    a.send({ type: 'upload', session: 1, changesets: [putTask('a', 1, 'x')], progress: { clientVersion: 1, serverVersion: 0 } });
    expect(await a.next(is('download', 1))).toMatchObject({ changesets: [], uploadAck: 1, downloadableBytes: 0 });
    const fanned = await b.next(is('download', 1));
    expect(fanned).toMatchObject({ uploadAck: 0, cursors: { serverVersion: 1, clientVersion: 0 } });
    expect(fanned.type === 'download' && fanned.changesets.map((c) => [c.origin, c.serverVersion])).toEqual([['a', 1]]);
    other.send({ type: 'mark', session: 1, requestId: 'm' });
    await other.next(is('mark', 1));
    expect(other.received.filter((m) => m.type === 'download')).toHaveLength(0);
  });

  it('answers MARK after every DOWNLOAD before it, and batches a large history with the bytes still to come', async () => {
    await start({ downloadBatchBytes: 300 });
    const a = await session('a');
    const batch = Array.from({ length: 12 }, (_, k) => putTask('a', k + 1, `t${k}`, { text: 'x'.repeat(50) }));
    a.send({ type: 'upload', session: 1, changesets: batch, progress: { clientVersion: 12, serverVersion: 0 } });
    await a.next((m) => m.type === 'download' && m.uploadAck === 12);
    const b = await WireClient.connect(server.url);
    sockets.push(b);
    b.send({ type: 'bind', session: 1, partition: 'p', token: user.accessToken });
    b.send({ type: 'ident', session: 1, fileIdent: 'b' });
    b.send({ type: 'mark', session: 1, requestId: 'after-all' });
    await b.next(is('mark', 1));
    const downloads = b.received.filter((m) => m.type === 'download');
    expect(downloads.length).toBeGreaterThan(2);
    const total = batch.reduce((sum, c) => sum + changesetBytes(c), 0);
    let seen = 0;
    for (const d of downloads) {
      if (d.type !== 'download') continue;
      seen += d.changesets.reduce((sum, c) => sum + changesetBytes(c), 0);
      expect(d.downloadableBytes).toBe(total - seen);
    }
    expect(seen).toBe(total);
  });

  it('resetPartition: bound sessions get clientReset at once, old cursors get it at IDENT', async () => {
    await start();
    const a = await session('a');
    const ident = await (async () => {
      const c = await WireClient.connect(server.url);
      sockets.push(c);
      c.send({ type: 'bind', session: 1, partition: 'p', token: user.accessToken });
      c.send({ type: 'ident', session: 1, fileIdent: 'c' });
      return c.next(is('ident', 1));
    })();
    const oldEpoch = ident.type === 'ident' ? ident.epoch : '';
    const newEpoch = await server.resetPartition('p');
    expect(newEpoch).not.toBe(oldEpoch);
    expect(await a.next(is('error', 1))).toMatchObject({ code: 'clientReset', category: 'clientReset', isFatal: true });
    const late = await WireClient.connect(server.url);
    sockets.push(late);
    late.send({ type: 'bind', session: 1, partition: 'p', token: user.accessToken });
    late.send({ type: 'ident', session: 1, fileIdent: 'late', cursors: { epoch: oldEpoch, upload: { clientVersion: 1, serverVersion: 0 }, download: { serverVersion: 0, clientVersion: 0 } } });
    expect(await late.next(is('error', 1))).toMatchObject({ code: 'clientReset' });
    // A client that holds nothing of the old epoch (only its own, never acknowledged commits)
    // has nothing to reset: it is answered with the new epoch.
    const empty = await WireClient.connect(server.url);
    sockets.push(empty);
    empty.send({ type: 'bind', session: 1, partition: 'p', token: user.accessToken });
    empty.send({ type: 'ident', session: 1, fileIdent: 'empty', cursors: { epoch: oldEpoch, upload: { clientVersion: 0, serverVersion: 0 }, download: { serverVersion: 0, clientVersion: 0 } } });
    expect(await empty.next(is('ident', 1))).toMatchObject({ epoch: newEpoch });
  });

  it('an access token that expires during the session gets tokenExpired at the next upload; a fresh one binds again', async () => {
    // The server's clock, moved past the token's lifetime (no sleep: what is tested is the check).
    let aheadMs = 0;
    await start({ accessTokenTtlMs: 1_500, now: () => Date.now() + aheadMs });
    const a = await session('a');
    aheadMs = 1_700;
    a.send({ type: 'upload', session: 1, changesets: [putTask('a', 1, 'x')], progress: { clientVersion: 1, serverVersion: 0 } });
    expect(await a.next(is('error', 1))).toMatchObject({ code: 'tokenExpired', category: 'auth', tryAgain: true });
    const res = await fetch(`${server.url}/auth/refresh`, { method: 'POST', body: JSON.stringify({ refreshToken: user.refreshToken }) });
    const { accessToken } = (await res.json()) as { accessToken: string };
    a.send({ type: 'bind', session: 1, partition: 'p', token: accessToken });
    a.send({ type: 'ident', session: 1, fileIdent: 'a' });
    a.send({ type: 'upload', session: 1, changesets: [putTask('a', 1, 'x')], progress: { clientVersion: 1, serverVersion: 0 } });
    await a.next((m) => m.type === 'download' && m.uploadAck === 1);
  });

  it('refuses a second BIND of one session number and UPLOAD before IDENT; UNBIND is answered', async () => {
    await start();
    const a = await session('a');
    a.send({ type: 'bind', session: 1, partition: 'p', token: user.accessToken });
    expect(await a.next(is('error', 1))).toMatchObject({ code: 'sessionInUse' });
    a.send({ type: 'bind', session: 2, partition: 'p', token: user.accessToken });
    a.send({ type: 'upload', session: 2, changesets: [], progress: { clientVersion: 0, serverVersion: 0 } });
    expect(await a.next(is('error', 2))).toMatchObject({ code: 'notIdentified' });
    a.send({ type: 'unbind', session: 1 });
    expect(await a.next(is('unbound', 1))).toEqual({ type: 'unbound', session: 1 });
  });

  it('a revoked user is refused at refresh, at login and on the socket', async () => {
    await start({ users: [{ email: 'ann@example.com', password: 'pw' }] });
    const ann = await logIn(server.url, { provider: 'emailPassword', email: 'ann@example.com', password: 'pw' });
    const again = await logIn(server.url, { provider: 'emailPassword', email: 'ANN@example.com', password: 'pw' });
    expect(again.userId).toBe(ann.userId);
    // A bad id is refused as the rest of the call's failures are: a rejection, nothing revoked.
    await expect(server.revokeUser('')).rejects.toBeInstanceOf(TypeError);
    await expect(server.revokeUser(5 as unknown as string)).rejects.toBeInstanceOf(TypeError);
    await server.revokeUser(ann.userId);
    const refresh = await fetch(`${server.url}/auth/refresh`, { method: 'POST', body: JSON.stringify({ refreshToken: ann.refreshToken }) });
    expect(refresh.status).toBe(401);
    await expect(logIn(server.url, { provider: 'emailPassword', email: 'ann@example.com', password: 'pw' })).rejects.toThrow('401');
    const c = await WireClient.connect(server.url);
    sockets.push(c);
    c.send({ type: 'bind', session: 1, partition: 'p', token: ann.accessToken });
    expect(await c.next(is('error', 1))).toMatchObject({ code: 'badToken' });
  });

  it('refuses bad configuration before opening anything', async () => {
    await start();
    await expect(startServer({ dataDir: '' })).rejects.toThrow('dataDir');
    await expect(startServer({ dataDir: dir, port: 70_000 })).rejects.toThrow('port');
    await expect(startServer({ dataDir: dir, maxMessageBytes: -1 })).rejects.toThrow('maxMessageBytes');
    await expect(startServer({ dataDir: dir, secret: 'short' })).rejects.toThrow('secret');
  });
});
