/**
 * Review (failover, docs/SEMANTICS.md §2.8): a socket that cannot even be made — the
 * transport's `connect` throws (an embedder's transport, or `ws` refusing a URL it cannot
 * parse) — is a failure of that node like any other: the connection must move on to the next
 * node, not die with the socket actor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, Credentials, Realm, silentLogger, type Transport } from '../../src/index.js';
import { syncUrl } from '../../src/protocol/endpoint.js';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { wsTransport } from '../../src/transport/ws-transport.js';

const dir = mkdtempSync(join(tmpdir(), 'failover-throws-'));
let live: SyncServer;
let other: SyncServer;
const apps: App[] = [];

beforeAll(async () => {
  // One secret: nodes of one server share it, so the token `other` issued binds on `live`.
  const secret = 'one-secret-for-every-node';
  live = await startServer({ dataDir: join(dir, 'live'), secret, logger: silentLogger });
  other = await startServer({ dataDir: join(dir, 'other'), secret, logger: silentLogger });
});
afterAll(async () => {
  for (const app of apps) app.close();
  await Promise.all([live.close(), other.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('a transport that throws for one node', () => {
  it('the connection survives it and moves to the next node, where a write uploads', async () => {
    const sockets: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => void unhandled.push(e);
    process.on('uncaughtException', onUnhandled);
    try {
      const picky: Transport = {
        connect: (url, handlers) => {
          sockets.push(url);
          if (url === syncUrl(other.url)) throw new SyntaxError(`Invalid URL: ${url}`);
          return wsTransport.connect(url, handlers);
        },
      };
      const app = new App({
        baseUrl: [other.url, live.url],
        storageDir: join(dir, 'client'),
        lingerMs: 50,
        reconnect: { initialDelayMs: 50, maxDelayMs: 400, multiplier: 2 },
        transport: picky,
        logger: silentLogger,
      });
      apps.push(app);
      const user = await app.logIn(Credentials.anonymous()); // auth on `other`: only its socket is refused
      const realm = await Realm.open({ sync: { user, partition: 'p' } });
      realm.write((tx) => tx.put('Task', 't1', { title: 'x' }));
      const outcome = await realm.syncSession!.waitForUpload(AbortSignal.timeout(10_000)).then(
        () => 'uploaded',
        (e: unknown) => `not uploaded: ${String(e)}`,
      );
      expect({ outcome, sockets: [...new Set(sockets)], unhandled: unhandled.map(String) }).toEqual({ outcome: 'uploaded', sockets: [syncUrl(other.url), syncUrl(live.url)], unhandled: [] });
      realm.close();
    } finally {
      process.off('uncaughtException', onUnhandled);
    }
  }, 20_000);
});
