/**
 * A server of two nodes (docs/SEMANTICS.md §2.8): two real file-backed servers on 127.0.0.1
 * with one token secret and one set of users, and an app given both base URLs. The nodes keep
 * separate data here, so a realm synced on node 1 would be reset on node 2 (another epoch); what
 * this pins is the move: the socket goes to node 2, a token of node 1 binds there, a realm new to
 * node 2 syncs, and auth requests fail over. Failover over shared data (PostgreSQL-backed
 * nodes) is tested elsewhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthRefusedError } from '../../src/client/auth-client.js';
import { App, Credentials, Realm, silentLogger, type AppConfig, type Transport } from '../../src/index.js';
import { syncUrl } from '../../src/protocol/endpoint.js';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { wsTransport } from '../../src/transport/ws-transport.js';
import { FakeAuthServer } from '../support/fake-auth-server.js';
import { eventually } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'failover-'));
const shared = { secret: 'one-secret-for-every-node', users: [{ email: 'ann@example.com', password: 'right' }], logger: silentLogger };
const apps: App[] = [];
let node1: SyncServer;
let node2: SyncServer;
let node1Open = true;
/** A port nothing listens on: connecting is refused. */
let deadUrl: string;

beforeAll(async () => {
  node1 = await startServer({ dataDir: join(dir, 'node1'), ...shared });
  node2 = await startServer({ dataDir: join(dir, 'node2'), ...shared });
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  deadUrl = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  for (const app of apps) app.close();
  await Promise.all([node1Open ? node1.close() : undefined, node2.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** An app over real WebSockets that records the URL of every socket it opens. */
function app(baseUrl: AppConfig['baseUrl'], name: string): { app: App; sockets: string[] } {
  const sockets: string[] = [];
  const recording: Transport = {
    connect: (url, handlers) => {
      sockets.push(url);
      return wsTransport.connect(url, handlers);
    },
  };
  const made = new App({
    baseUrl,
    storageDir: join(dir, name),
    lingerMs: 50,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400, multiplier: 2 },
    transport: recording,
    logger: silentLogger,
  });
  apps.push(made);
  return { app: made, sockets };
}

const ann = (password = 'right') => Credentials.emailPassword('ann@example.com', password);

describe('a server of two nodes', () => {
  it('login with the first node down succeeds on the second', async () => {
    const { app: client } = app([deadUrl, node2.url], 'dead-first');
    const user = await client.logIn(ann());
    expect(user.isLoggedIn).toBe(true);
    // The next auth request starts at the node that answered: a refresh works with node 1 still dead.
    await expect(user.refreshAccessToken()).resolves.toEqual(expect.any(String));
  });

  it('a login refused by the first node is final: the second is never asked', async () => {
    // The second node would accept anything: a retry there would log in.
    const fake = await new FakeAuthServer().start();
    try {
      fake.answer = { userId: 'someone', accessToken: 'a', refreshToken: 'r' };
      const { app: client } = app([node2.url, fake.url], 'refused-first');
      const error: unknown = await client.logIn(ann('wrong')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthRefusedError);
      expect((error as AuthRefusedError).status).toBe(401);
      expect(fake.logins).toBe(0);
    } finally {
      await fake.close();
    }
  });

  it('server 1 closes: the connection moves to server 2, where the token of node 1 binds, a new realm syncs, and the token refreshes', async () => {
    const { app: client, sockets } = app([node1.url, node2.url], 'moves');
    const user = await client.logIn(ann());
    const first = await Realm.open({ sync: { user, partition: 'on-node-1' } });
    first.write((tx) => tx.put('Task', 't1', { title: 'on node 1' }));
    await first.syncSession!.waitForUpload(AbortSignal.timeout(10_000));
    expect(new Set(sockets)).toEqual(new Set([syncUrl(node1.url)]));

    await node1.close();
    node1Open = false;
    // The open session keeps the connection attached: its lost socket moves to node 2.
    await eventually(() => sockets.includes(syncUrl(node2.url)), 'a socket to node 2', 10_000);
    const index = sockets.indexOf(syncUrl(node2.url));
    expect(sockets.slice(0, index).every((url) => url === syncUrl(node1.url))).toBe(true);

    // A partition node 2 never had: the token node 1 issued binds, and the write uploads to node 2.
    const second = await Realm.open({ sync: { user, partition: 'after-failover' } });
    const session = second.syncSession!;
    await eventually(() => session.connectionState === 'connected', 'connected on node 2', 10_000);
    second.write((tx) => tx.put('Task', 't2', { title: 'on node 2' }));
    await session.waitForUpload(AbortSignal.timeout(10_000));
    // A working node is kept: no socket went anywhere else since.
    expect(sockets.slice(index).every((url) => url === syncUrl(node2.url))).toBe(true);

    // The refresh goes to node 1 (the node that answered the login), gets no answer, and node 2 gives a token.
    await expect(user.refreshAccessToken()).resolves.toEqual(expect.any(String));
    expect(user.isLoggedIn).toBe(true);

    // The write is on node 2: a client of node 2 alone downloads it.
    const { app: reader } = app(node2.url, 'reader');
    const readerUser = await reader.logIn(ann());
    expect(readerUser.id).toBe(user.id);
    const copy = await Realm.open({ sync: { user: readerUser, partition: 'after-failover' } });
    await copy.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
    expect(copy.objects('Task').map((task) => task.id)).toEqual(['t2']);
  });
});
