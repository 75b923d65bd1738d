/**
 * Which files the server finds expired after retention dropped a tombstone: one that may hold
 * the deleted document (also at download cursor 0, if it merged STATE documents whose closing
 * DOWNLOAD it never got) gets `clientFileExpired`; a file that never synced is bootstrapped.
 * And after a reset: a file at cursor 0 of the replaced epoch holds nothing of it (STATE
 * documents it staged it discards itself) and takes the new epoch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { is, logIn, WireClient, type Login } from '../support/wire-client.js';
import { downloadEverything } from '../support/wire-download.js';

const RETENTION_MS = 60_000;
let dir: string;
let server: SyncServer | undefined;
const sockets: WireClient[] = [];
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close());
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function identify(
  user: Login,
  fileIdent: string,
  cursors?: { epoch: string; upload: { clientVersion: number; serverVersion: number }; download: { serverVersion: number; clientVersion: number } },
) {
  const c = await WireClient.connect(server!.url);
  sockets.push(c);
  c.send({ type: 'bind', session: 1, partition: 'p', token: user.accessToken });
  c.send({ type: 'ident', session: 1, fileIdent, ...(cursors === undefined ? {} : { cursors }) });
  return c;
}

/**
 * A server whose clock is `Date.now() + clock.offset`, with a partition `p` holding x (uploaded
 * by A, folded into the state), and X, which was sent x in a STATE frame and cut before the
 * DOWNLOAD ending the batch (its cursor still 0).
 */
async function xCutMidBootstrap(clock: { offset: number }) {
  dir = mkdtempSync(join(tmpdir(), 'expiry-'));
  server = await startServer({ dataDir: dir, historyRetentionMs: RETENTION_MS, now: () => Date.now() + clock.offset });
  const user = await logIn(server.url);
  const a = await identify(user, 'a');
  await downloadEverything(a);
  a.send({ type: 'upload', session: 1, changesets: [putTask('a', 1, 'x')], progress: { clientVersion: 1, serverVersion: 0 } });
  await a.next((m) => m.type === 'download' && m.uploadAck === 1);
  await server.compactPartition('p');
  const x = await identify(user, 'x');
  const { epoch } = await x.next(is('ident', 1));
  expect((await x.next(is('state', 1))).documents.map((d) => d.id)).toEqual(['x']);
  x.close();
  return { user, a, epoch };
}

describe('clientFileExpired after retention dropped a tombstone', () => {
  it('a file of this epoch at cursor 0 (a bootstrap cut before its DOWNLOAD) is expired; a file that never synced is bootstrapped without the document', async () => {
    const clock = { offset: 0 };
    const { user, a, epoch } = await xCutMidBootstrap(clock);
    a.send({ type: 'upload', session: 1, changesets: [{ ...putTask('a', 2, 'x'), ops: [{ op: 'delete', type: 'Task', id: 'x' }] }], progress: { clientVersion: 2, serverVersion: 0 } });
    await a.next((m) => m.type === 'download' && m.uploadAck === 2);
    clock.offset += RETENTION_MS + 1_000;
    expect((await server!.compactPartition('p')).droppedTombstones).toBe(1);

    const back = await identify(user, 'x', { epoch, upload: { clientVersion: 0, serverVersion: 0 }, download: { serverVersion: 0, clientVersion: 0 } });
    expect(await back.next(is('error', 1))).toMatchObject({ code: 'clientFileExpired', category: 'clientReset', isFatal: true });
    const fresh = await identify(user, 'fresh');
    const got = await downloadEverything(fresh);
    expect(got.set.visible('Task', 'x')).toBeUndefined();
    expect(fresh.received.some((m) => m.type === 'error')).toBe(false);
  });

  it('after deletePartition, a file of the old epoch at cursor 0 that was sent STATE documents takes the new epoch, empty', async () => {
    const { user, epoch: oldEpoch } = await xCutMidBootstrap({ offset: 0 });
    await server!.deletePartition('p');

    const back = await identify(user, 'x', { epoch: oldEpoch, upload: { clientVersion: 0, serverVersion: 0 }, download: { serverVersion: 0, clientVersion: 0 } });
    const { epoch: newEpoch } = await back.next(is('ident', 1));
    expect(newEpoch).not.toBe(oldEpoch);
    const got = await downloadEverything(back);
    expect(got.set.visible('Task', 'x')).toBeUndefined();
    expect(back.received.some((m) => m.type === 'error')).toBe(false);
  });
});
