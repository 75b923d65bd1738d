import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerChangeset } from '../../src/protocol/index.js';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { is, logIn, WireClient, type Login } from '../support/wire-client.js';

let dir: string;
let server: SyncServer | undefined;
let user: Login;
const sockets: WireClient[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'partition-reset-'));
  server = await startServer({ dataDir: dir });
  user = await logIn(server.url);
});
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close());
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A socket with session 1 bound to `p` and identified as `fileIdent` (with `cursors`, if given); resolves with its IDENT answer. */
async function identify(fileIdent: string, cursors?: { epoch: string; upload: { clientVersion: number; serverVersion: number }; download: { serverVersion: number; clientVersion: number } }) {
  const c = await WireClient.connect(server!.url);
  sockets.push(c);
  c.send({ type: 'bind', session: 1, partition: 'p', token: user.accessToken });
  c.send({ type: 'ident', session: 1, fileIdent, ...(cursors === undefined ? {} : { cursors }) });
  const ident = await c.next(is('ident', 1));
  return { c, epoch: ident.epoch };
}

/** Every changeset the session downloads until nothing is left. */
async function downloadAll(c: WireClient): Promise<ServerChangeset[]> {
  const all: ServerChangeset[] = [];
  for (;;) {
    const d = await c.next(is('download', 1));
    all.push(...d.changesets);
    if (d.downloadableBytes === 0) return all;
  }
}

describe('resetPartition over the wire', () => {
  it('the new epoch starts with the winning writes as they were stamped; a file that holds nothing of the old one re-uploads without duplicates', async () => {
    const { c: a, epoch: oldEpoch } = await identify('a');
    await downloadAll(a);
    a.send({ type: 'upload', session: 1, changesets: [putTask('a', 1, 'x', { n: 1 }), putTask('a', 2, 'x', { n: 2 }), putTask('a', 3, 'y')], progress: { clientVersion: 3, serverVersion: 0 } });
    await a.next((m) => m.type === 'download' && m.uploadAck === 3);
    const { c: b } = await identify('b');
    await downloadAll(b);
    b.send({ type: 'upload', session: 1, changesets: [putTask('b', 1, 'z', { by: 'b' })], progress: { clientVersion: 1, serverVersion: 3 } });
    await b.next((m) => m.type === 'download' && m.uploadAck === 1);

    const newEpoch = await server!.resetPartition('p');
    expect(await a.next(is('error', 1))).toMatchObject({ code: 'clientReset' });
    expect(await b.next(is('error', 1))).toMatchObject({ code: 'clientReset' });

    const { c: reader, epoch } = await identify('reader');
    expect(epoch).toBe(newEpoch);
    // a's first put of x lost to its second: left out; the others as uploaded, stamps and all.
    expect(await downloadAll(reader)).toEqual([
      { ...putTask('a', 2, 'x', { n: 2 }), serverVersion: 1 },
      { ...putTask('a', 3, 'y'), serverVersion: 2 },
      { ...putTask('b', 1, 'z', { by: 'b' }), serverVersion: 3 },
    ]);

    // A file whose acknowledgements never reached it (it holds nothing of the old epoch) takes
    // the new one, is not sent its own writes back, and its re-upload is acknowledged, not added again.
    const { c: again, epoch: taken } = await identify('a', { epoch: oldEpoch, upload: { clientVersion: 0, serverVersion: 0 }, download: { serverVersion: 0, clientVersion: 0 } });
    expect(taken).toBe(newEpoch);
    expect((await downloadAll(again)).map((c) => c.origin)).toEqual(['b']);
    again.send({ type: 'upload', session: 1, changesets: [1, 2, 3].map((v) => putTask('a', v, v === 3 ? 'y' : 'x', v === 3 ? undefined : { n: v })), progress: { clientVersion: 3, serverVersion: 0 } });
    expect(await again.next((m) => m.type === 'download' && m.uploadAck === 3)).toMatchObject({ changesets: [], cursors: { serverVersion: 3 } });
    const { c: late } = await identify('late');
    expect(await downloadAll(late)).toHaveLength(3);
  });

  it('deletePartition: bound sessions get clientReset, and the new epoch is empty', async () => {
    const { c: a, epoch: oldEpoch } = await identify('a');
    await downloadAll(a);
    a.send({ type: 'upload', session: 1, changesets: [putTask('a', 1, 'x')], progress: { clientVersion: 1, serverVersion: 0 } });
    await a.next((m) => m.type === 'download' && m.uploadAck === 1);
    const newEpoch = await server!.deletePartition('p');
    expect(newEpoch).not.toBe(oldEpoch);
    expect(await a.next(is('error', 1))).toMatchObject({ code: 'clientReset', category: 'clientReset', isFatal: true });
    const { c: reader, epoch } = await identify('reader');
    expect(epoch).toBe(newEpoch);
    expect(await downloadAll(reader)).toEqual([]);
  });
});
