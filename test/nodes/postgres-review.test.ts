/**
 * Adversarial review (wt-rev1): several nodes on one PostgreSQL database, each test the
 * demonstration of a suspected bug. Real nodes, real clients, a real throwaway PostgreSQL;
 * skipped with one line without it, mandatory under CI=true.
 */
import { afterEach, expect } from 'vitest';
import { usePostgresNodes, type PostgresNodes } from '../support/postgres-nodes.js';
import { POSTGRES, requiring } from '../support/system-component.js';
import { is, logIn, WireClient } from '../support/wire-client.js';

const pgAvailable = requiring(POSTGRES, 'the several-nodes review tests');
const TIMEOUT = 20_000;
const NEVER_MS = 600_000;
const sockets: WireClient[] = [];

pgAvailable.describe('review: several nodes on one database', () => {
  const suite = usePostgresNodes(() => pgAvailable.path!, 'review');
  const freshNodes = async (): Promise<PostgresNodes> => (await suite.fresh()).nodes;
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
  });

  pgAvailable.it('a node whose handle missed another node\'s deletion does not send a new client the new epoch\'s documents while naming the old epoch', async () => {
    const n = await freshNodes();
    const one = await n.start({ pollIntervalMs: NEVER_MS });
    // Node two hears nothing (a lost notification, its poll not come round yet).
    const two = await n.start({ pollIntervalMs: NEVER_MS, dropNotifications: () => true });
    const a = await n.client(one.url, 'p');
    for (let i = 0; i < 3; i++) a.realm.write((tx) => tx.put('Task', `old${i}`, { i }));
    await a.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    await one.compactPartition('p');
    // Node two's handle of `p` opens now (epoch E1, state at 3) and stays open.
    const watcher = await n.client(two.url, 'p');
    await watcher.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT));
    a.app.close();
    await one.deletePartition('p');
    const c = await n.client(one.url, 'p');
    c.realm.write((tx) => tx.put('Task', 'fresh', { i: 99 }));
    await c.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    await one.compactPartition('p');
    const e2 = (await bind(one.url, 'probe-one')).epoch;
    // A new file binds on node two.
    const two_ = await bind(two.url, 'probe-two');
    const states = JSON.stringify(two_.client.received.filter((m) => m.type === 'state'));
    console.log(`review: epoch now ${e2}; node two told the new file ${two_.epoch}; its STATE frames: ${states.slice(0, 200)}`);
    // Told the old epoch, it must not be sent the new epoch's documents.
    if (two_.epoch !== e2) expect(states).not.toContain('fresh');
    expect(watcher.errors).toEqual([]);
  }, 60_000);
});

/** A new file `fileIdent` of an anonymous user bound to `p` on `url`, up to its first DOWNLOAD; the epoch its IDENT was answered with. */
async function bind(url: string, fileIdent: string): Promise<{ client: WireClient; epoch: string }> {
  const { accessToken } = await logIn(url);
  const client = await WireClient.connect(url);
  sockets.push(client);
  client.send({ type: 'bind', session: 1, partition: 'p', token: accessToken });
  client.send({ type: 'ident', session: 1, fileIdent });
  const ident = await client.next(is('ident', 1));
  // Its first DOWNLOAD follows the state it is sent: left in `received` with it.
  for (let tries = 0; tries < 100 && !client.received.some((m) => m.type === 'download'); tries++) await new Promise((resolve) => setTimeout(resolve, 50));
  return { client, epoch: ident.epoch };
}
