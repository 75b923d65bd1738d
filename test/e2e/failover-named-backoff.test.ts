/**
 * Review (failover, docs/SEMANTICS.md §2.8 with §2.3): the first node of the list drops every
 * socket with a connection error naming a long backoff (an overloaded or draining node saying
 * "not me for an hour"); the second is a real server. The named wait is that node's word about
 * itself, yet the chart applies it to the move to the next node, so the live node is not tried
 * for an hour.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { App, Credentials, Realm, silentLogger, type Transport } from '../../src/index.js';
import { encodeMessage, SUBPROTOCOL, syncUrl } from '../../src/protocol/index.js';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { wsTransport } from '../../src/transport/ws-transport.js';

const dir = mkdtempSync(join(tmpdir(), 'failover-backoff-'));
const HOUR = 3_600_000;
let live: SyncServer;
let draining: Server;
let wss: WebSocketServer;
let drainingUrl: string;
const apps: App[] = [];

beforeAll(async () => {
  live = await startServer({ dataDir: join(dir, 'live'), logger: silentLogger });
  // Plain HTTP (auth) is cut, as by a node that is down: logins go to the live node.
  draining = createServer((req) => req.socket.destroy());
  wss = new WebSocketServer({ server: draining, handleProtocols: () => SUBPROTOCOL });
  wss.on('connection', (socket) => {
    socket.send(
      encodeMessage({ type: 'error', code: 'serverShuttingDown', category: 'connection', isFatal: false, tryAgain: true, message: 'draining; not me for an hour', backoffMs: HOUR }, 'server'),
    );
    socket.close(1001, 'draining');
  });
  await new Promise<void>((resolve) => draining.listen(0, '127.0.0.1', resolve));
  drainingUrl = `http://127.0.0.1:${(draining.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const app of apps) app.close();
  for (const client of wss.clients) client.terminate();
  wss.close();
  await new Promise<void>((resolve) => draining.close(() => resolve()));
  await live.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a node that names a long backoff as it drops the socket', () => {
  it('its wait is not imposed on the next node: the client moves to the live node and uploads', async () => {
    const sockets: string[] = [];
    const recording: Transport = { connect: (url, handlers) => (sockets.push(url), wsTransport.connect(url, handlers)) };
    const app = new App({
      baseUrl: [drainingUrl, live.url],
      storageDir: join(dir, 'client'),
      lingerMs: 50,
      reconnect: { initialDelayMs: 50, maxDelayMs: 400, multiplier: 2 },
      transport: recording,
      logger: silentLogger,
    });
    apps.push(app);
    const user = await app.logIn(Credentials.anonymous());
    const realm = await Realm.open({ sync: { user, partition: 'p' } });
    realm.write((tx) => tx.put('Task', 't1', { title: 'x' }));
    const outcome = await realm.syncSession!.waitForUpload(AbortSignal.timeout(15_000)).then(
      () => 'uploaded',
      (e: unknown) => `not uploaded: ${String(e)}`,
    );
    expect({ outcome, sockets: [...new Set(sockets)] }).toEqual({ outcome: 'uploaded', sockets: [syncUrl(drainingUrl), syncUrl(live.url)] });
    realm.close();
  }, 30_000);
});
