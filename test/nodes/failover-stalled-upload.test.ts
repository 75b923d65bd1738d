/**
 * Review (failover over shared data, docs/SEMANTICS.md §2.8): the client's path to node one
 * stalls (a partition, a long GC pause) with an UPLOAD on the wire. The PONG is late, the client
 * moves to node two and sends the changeset again there; node two stores and acknowledges it.
 * Then the stall ends and node one reads the old socket's bytes: the same UPLOAD. The database
 * must hold the changeset once.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterEach, expect } from 'vitest';
import { Credentials, Realm } from '../../src/index.js';
import { eventually } from '../support/eventually.js';
import { usePostgresNodes } from '../support/postgres-nodes.js';
import { POSTGRES, requiring } from '../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the stalled-upload failover test');
const TIMEOUT = 20_000;
let relayServer: Server | undefined;

/** A TCP relay that, while stalled, holds the bytes both ways; released, it delivers them, even to a side whose peer has gone. */
async function relay(port: number) {
  const links: { client: Socket; upstream: Socket; toServer: Buffer[]; toClient: Buffer[]; clientEnded: boolean }[] = [];
  let stalled = false;
  let upstreamClosed = 0;
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    const link = { client, upstream, toServer: [] as Buffer[], toClient: [] as Buffer[], clientEnded: false };
    links.push(link);
    client.on('data', (b: Buffer) => (stalled ? link.toServer.push(b) : upstream.write(b)));
    upstream.on('data', (b: Buffer) => (stalled ? link.toClient.push(b) : client.destroyed || client.write(b)));
    client.on('end', () => {
      link.clientEnded = true;
      if (!stalled) upstream.end();
    });
    client.on('error', () => {});
    upstream.on('error', () => {});
    upstream.on('close', () => {
      upstreamClosed++;
      client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    stall: () => void (stalled = true),
    release: () => {
      stalled = false;
      for (const link of links) {
        for (const b of link.toServer.splice(0)) link.upstream.write(b);
        if (link.clientEnded) link.upstream.end();
        link.toClient.length = 0;
      }
    },
    get upstreamClosed() {
      return upstreamClosed;
    },
    destroy: () => links.forEach((l) => (l.client.destroy(), l.upstream.destroy())),
  };
}

pgAvailable.describe('an UPLOAD held on a stalled path to node one, sent again through node two', () => {
  const suite = usePostgresNodes(() => pgAvailable.path!, 'nodes');
  afterEach(async () => {
    await new Promise<void>((resolve) => (relayServer ? relayServer.close(() => resolve()) : resolve()));
  });

  pgAvailable.it('is stored once', async () => {
    const { url, nodes: n } = await suite.fresh('stalledupload');
    const one = await n.start();
    const two = await n.start();
    const path = await relay(Number(new URL(one.url).port));
    relayServer = path.server;
    const app = n.app([path.url, two.url], { keepalive: { pingIntervalMs: 200, pongTimeoutMs: 300 } });
    const user = await app.logIn(Credentials.anonymous());
    const realm = await Realm.open({ sync: { user, partition: 'p' } });
    const session = realm.syncSession!;
    await session.waitForDownload(AbortSignal.timeout(TIMEOUT));
    path.stall();
    realm.write((tx) => tx.put('Task', 'once', { n: 1 }));
    await session.waitForUpload(AbortSignal.timeout(TIMEOUT)); // through node two, after the move
    const closedBefore = path.upstreamClosed;
    path.release();
    // Node one reads the held UPLOAD and the client's close; its socket ends after it.
    await eventually(() => path.upstreamClosed > closedBefore, 'node one read the held bytes and closed', TIMEOUT);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const count = async () =>
        Number((await db.query<{ n: string }>(`select count(*) as n from sync_changesets, jsonb_array_elements(json::jsonb->'ops') as op where op->>'id' = 'once'`)).rows[0]!.n);
      // Let node one's store of it (if any) land: a later write through node two is behind it in the database.
      realm.write((tx) => tx.put('Task', 'after', { n: 2 }));
      await session.waitForUpload(AbortSignal.timeout(TIMEOUT));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await count()).toBe(1);
    } finally {
      await db.end();
      path.destroy();
    }
  }, 60_000);
});
