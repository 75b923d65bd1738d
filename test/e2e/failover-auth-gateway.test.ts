/**
 * Review (failover, docs/SEMANTICS.md §2.8): a node that is down behind its own gateway (a
 * reverse proxy, a load balancer's per-node target) does answer HTTP: 502/503/504. The auth
 * failover treats any HTTP answer as final, so a login with the first node down this way fails
 * though the second node is up. A 4xx is the users' word (shared by every node) and must stay
 * final; a 5xx from a gateway says nothing about the credentials.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, Credentials, silentLogger } from '../../src/index.js';
import { startServer, type SyncServer } from '../../src/server/index.js';

const dir = mkdtempSync(join(tmpdir(), 'failover-gateway-'));
let live: SyncServer;
let gateway: Server;
let gatewayUrl: string;
/** A node that forwards to the live server until its upstream "goes down", then answers 502. */
let proxy: Server;
let proxyUrl: string;
let proxyUp = true;
let proxyRefreshes = 0;
const apps: App[] = [];

beforeAll(async () => {
  live = await startServer({ dataDir: join(dir, 'live'), logger: silentLogger });
  gateway = createServer((_req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html><body>502 Bad Gateway</body></html>');
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/auth/refresh') proxyRefreshes++;
      if (!proxyUp) {
        res.writeHead(502).end('Bad Gateway');
        return;
      }
      void fetch(`${live.url}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) }).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
      });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const app of apps) app.close();
  await new Promise<void>((resolve) => gateway.close(() => resolve()));
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await live.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the first node is down behind a gateway that answers 502', () => {
  it('login fails over to the second node', async () => {
    const app = new App({ baseUrl: [gatewayUrl, live.url], storageDir: join(dir, 'client'), logger: silentLogger });
    apps.push(app);
    const outcome = await app.logIn(Credentials.anonymous()).then(
      (user) => (user.isLoggedIn ? 'logged in' : 'logged out'),
      (e: unknown) => `refused: ${String(e)}`,
    );
    expect(outcome).toBe('logged in');
  });

  it('token refresh, after the node that answered the login goes down behind its gateway, reaches the second node', async () => {
    const app = new App({ baseUrl: [proxyUrl, live.url], storageDir: join(dir, 'refresh'), logger: silentLogger });
    apps.push(app);
    const user = await app.logIn(Credentials.anonymous()); // through the proxy: auth now starts there
    proxyUp = false;
    // Three tries (as a session's refresh retries would): each should reach the live node.
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) outcomes.push(await user.refreshAccessToken().then(() => 'token', (e: { message?: string }) => `failed: ${e.message ?? ''}`));
    expect({ outcomes, refreshesAskedOfTheDownNode: proxyRefreshes }).toEqual({ outcomes: ['token', 'token', 'token'], refreshesAskedOfTheDownNode: 1 });
  });
});
