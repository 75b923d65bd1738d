/**
 * Review (failover over shared data, docs/SEMANTICS.md §2.8): the commonest way a node of a
 * PostgreSQL-backed server fails without dying is losing its database (its network path, its
 * pool). Such a node keeps the sync socket up and answers PING, but refuses every upload with a
 * session-scoped `internalError` (try again later). The client retries on the same socket for
 * ever: the connection moves only when a socket fails, so it never reaches the healthy node.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, expect } from 'vitest';
import { Credentials } from '../../src/index.js';
import { usePostgresNodes } from '../support/postgres-nodes.js';
import { POSTGRES, requiring } from '../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the sick-node failover test');
let cut: (() => void) | undefined;
let proxy: Server | undefined;

/** A TCP relay to PostgreSQL that `cut()` severs for good (every link, and every new one). */
async function relay(target: { host: string; port: number }): Promise<{ port: number; cut: () => void; server: Server }> {
  const links = new Set<Socket>();
  let severed = false;
  const server = createServer((client) => {
    if (severed) return void client.destroy();
    const upstream = connect(target.port, target.host);
    links.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => (client.destroy(), upstream.destroy());
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    server,
    cut: () => {
      severed = true;
      for (const link of links) link.destroy();
    },
  };
}

pgAvailable.describe('a node that lost its database but keeps its sockets', () => {
  const suite = usePostgresNodes(() => pgAvailable.path!, 'nodes');
  afterEach(async () => {
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  });

  pgAvailable.it('the client leaves it for the healthy node and its write uploads', async () => {
    const { url, nodes: n } = await suite.fresh('sicknode');
    const target = new URL(url);
    const link = await relay({ host: target.hostname, port: Number(target.port) });
    ({ cut, server: proxy } = link);
    const viaRelay = url.replace(`:${target.port}/`, `:${link.port}/`);
    const sick = await n.start({ postgres: viaRelay });
    const healthy = await n.start();
    const client = await n.client([sick.url, healthy.url], 'p');
    const session = client.realm.syncSession!;
    await session.waitForDownload(AbortSignal.timeout(20_000)); // bound on the first node, which still works
    cut();
    client.realm.write((tx) => tx.put('Task', 't1', { n: 1 }));
    const outcome = await session.waitForUpload(AbortSignal.timeout(20_000)).then(
      () => 'uploaded',
      (e: unknown) => `not uploaded: ${String(e)}`,
    );
    expect({ outcome, errors: client.errors.map((e) => e.code) }).toEqual({ outcome: 'uploaded', errors: expect.any(Array) });
  }, 60_000);

  pgAvailable.it('token refresh, after the node that answered the login lost its database, gets a token from the healthy node', async () => {
    const { url, nodes: n } = await suite.fresh('sickrefresh');
    const target = new URL(url);
    const link = await relay({ host: target.hostname, port: Number(target.port) });
    ({ cut, server: proxy } = link);
    const sick = await n.start({ postgres: url.replace(`:${target.port}/`, `:${link.port}/`) });
    const healthy = await n.start();
    const app = n.app([sick.url, healthy.url]);
    const user = await app.logIn(Credentials.anonymous()); // answered by the first node: auth starts there now
    cut();
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) outcomes.push(await user.refreshAccessToken().then(() => 'token', (e: { message?: string }) => `failed: ${e.message ?? ''}`));
    expect(outcomes).toEqual(['token', 'token', 'token']);
  }, 60_000);
});
