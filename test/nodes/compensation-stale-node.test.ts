/**
 * A compensating write decided on a node that is behind the database: versions another node
 * stored (their acknowledgement lost) must not be refused when the client, now read-only, sends
 * them again to this node, or the client would revert writes the server keeps and never hear of
 * them again. Real nodes on a throwaway PostgreSQL; skipped with one line without it,
 * mandatory under CI=true.
 */
import { afterEach, expect } from 'vitest';
import type { Permission } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { usePostgresNodes } from '../support/postgres-nodes.js';
import { POSTGRES, requiring } from '../support/system-component.js';
import { bindSession, is, logIn, WireClient } from '../support/wire-client.js';

const pgAvailable = requiring(POSTGRES, 'the compensating-write-on-a-stale-node test');
const sockets: WireClient[] = [];
const NEVER_MS = 600_000;

pgAvailable.describe('compensating writes on several nodes', () => {
  const suite = usePostgresNodes(() => pgAvailable.path!, 'compensation');
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });

  pgAvailable.it('a node that had not seen versions another node stored acknowledges them instead of refusing them', async () => {
    const { nodes } = await suite.fresh('stale');
    const granted = new Map<string, Permission>();
    const permissions = (userId: string): Permission => granted.get(userId) ?? 'readWrite';
    const one = await nodes.start({ pollIntervalMs: NEVER_MS, permissions });
    // Node two hears nothing of node one (a lost notification, its poll not come round yet).
    const two = await nodes.start({ pollIntervalMs: NEVER_MS, dropNotifications: () => true, permissions });
    const writer = await logIn(one.url);
    // Node two's handle sees file f at client version 1, and stays open with this session.
    const watcher = await WireClient.connect(two.url);
    sockets.push(watcher);
    watcher.send({ type: 'bind', session: 1, partition: 'p', token: writer.accessToken });
    watcher.send({ type: 'ident', session: 1, fileIdent: 'f' });
    const ident = await watcher.next(is('ident', 1));
    const epoch = ident.type === 'ident' ? ident.epoch : '';
    watcher.send({ type: 'upload', session: 1, changesets: [putTask('f', 1, 't1')], progress: { clientVersion: 1, serverVersion: 0 } });
    await watcher.next((m) => m.type === 'download' && m.uploadAck === 1);
    const cursors = { epoch, upload: { clientVersion: 1, serverVersion: 1 }, download: { serverVersion: 1, clientVersion: 1 } };
    // Versions 2 and 3 stored through node one; the client never hears the acknowledgement.
    const onOne = await identified(one.url, writer.accessToken, cursors);
    onOne.send({ type: 'upload', session: 1, changesets: [putTask('f', 2, 't2'), putTask('f', 3, 't3')], progress: { clientVersion: 3, serverVersion: 1 } });
    await onOne.next((m) => m.type === 'download' && m.uploadAck === 3);
    onOne.close();
    // Now the user may only read, and the client sends 2 and 3 again, to node two.
    granted.set(writer.userId, 'read');
    const mover = await identified(two.url, writer.accessToken, cursors);
    mover.send({ type: 'upload', session: 1, changesets: [putTask('f', 2, 't2'), putTask('f', 3, 't3')], progress: { clientVersion: 3, serverVersion: 1 } });
    const answer = await mover.next((m) => (m.type === 'error' && m.session === 1) || (m.type === 'download' && m.uploadAck === 3), 20_000);
    console.log(`compensation on a stale node: the re-sent stored versions were answered with ${answer.type === 'error' ? `${answer.code} (wrong)` : `a download acknowledging ${answer.type === 'download' ? answer.uploadAck : '?'}`}`);
    expect(answer).toMatchObject({ type: 'download', uploadAck: 3 });
    // And the database holds them, with their writes.
    const reader = await logIn(one.url);
    const { first } = await bindSession(one.url, reader.accessToken, 'reader', sockets, 'p');
    expect(first.type === 'download' ? first.changesets.map((c) => `${c.origin}#${c.clientVersion}:${c.ops.length}`) : []).toEqual(['f#1:1', 'f#2:1', 'f#3:1']);
  }, 60_000);
});

/** File f of the token's user bound to `p` on `url` with `cursors`, up to the server's IDENT. */
async function identified(url: string, token: string, cursors: { epoch: string; upload: { clientVersion: number; serverVersion: number }; download: { serverVersion: number; clientVersion: number } }): Promise<WireClient> {
  const client = await WireClient.connect(url);
  sockets.push(client);
  client.send({ type: 'bind', session: 1, partition: 'p', token });
  client.send({ type: 'ident', session: 1, fileIdent: 'f', cursors });
  await client.next(is('ident', 1));
  return client;
}
