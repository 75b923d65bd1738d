/**
 * Review (failover, docs/SEMANTICS.md §2.8): nodes that take the TCP connection and then say
 * nothing. The list's first node accepts every connection, cuts plain HTTP requests (so auth
 * fails over at once, as for a node that is down) and holds every WebSocket upgrade without an
 * answer; the second is a real server. A client must end up syncing on the second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, Credentials, Realm, silentLogger, type Transport } from '../../src/index.js';
import { syncUrl } from '../../src/protocol/endpoint.js';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { wsTransport } from '../../src/transport/ws-transport.js';

const dir = mkdtempSync(join(tmpdir(), 'failover-silent-'));
let live: SyncServer;
let silent: Server;
let silentUrl: string;
const held: Socket[] = [];
const apps: App[] = [];

beforeAll(async () => {
  live = await startServer({ dataDir: join(dir, 'live'), logger: silentLogger });
  silent = createServer((req) => req.socket.destroy());
  // The upgrade is read and never answered: the socket stays open, silent.
  silent.on('upgrade', (_req, socket: Socket) => void held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const app of apps) app.close();
  for (const socket of held) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await live.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a node that accepts the socket and never answers the upgrade', () => {
  it('the connection leaves it for the live node, and a write uploads there', async () => {
    const sockets: string[] = [];
    const recording: Transport = { connect: (url, handlers) => (sockets.push(url), wsTransport.connect(url, handlers)) };
    const app = new App({
      baseUrl: [silentUrl, live.url],
      storageDir: join(dir, 'client'),
      lingerMs: 50,
      reconnect: { initialDelayMs: 50, maxDelayMs: 400, multiplier: 2 },
      // Short keepalive: a bound on connecting taken from it (or any bound of a few seconds) passes.
      keepalive: { pingIntervalMs: 500, pongTimeoutMs: 1_000 },
      transport: recording,
      logger: silentLogger,
    });
    apps.push(app);
    const user = await app.logIn(Credentials.anonymous()); // node 1 cuts it: node 2 answers
    const realm = await Realm.open({ sync: { user, partition: 'p' } });
    realm.write((tx) => tx.put('Task', 't1', { title: 'x' }));
    const outcome = await realm.syncSession!.waitForUpload(AbortSignal.timeout(20_000)).then(
      () => 'uploaded',
      (e: unknown) => `not uploaded: ${String(e)}`,
    );
    expect({ outcome, sockets: [...new Set(sockets)] }).toEqual({ outcome: 'uploaded', sockets: [syncUrl(silentUrl), syncUrl(live.url)] });
    realm.close();
  }, 30_000);
});
