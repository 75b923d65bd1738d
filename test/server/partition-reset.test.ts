import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerChangeset } from '../../src/protocol/index.js';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { downloadEverything } from '../support/wire-download.js';
import { dumpDocuments, foldHistory } from './storage/partition-contents.js';
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
  it('the new epoch starts from the state: every winning write as it was stamped; a file that holds nothing of the old one re-uploads without duplicates', async () => {
    const { c: a, epoch: oldEpoch } = await identify('a');
    await downloadAll(a);
    const history = [putTask('a', 1, 'x', { n: 1 }), putTask('a', 2, 'x', { n: 2 }), putTask('a', 3, 'y')];
    a.send({ type: 'upload', session: 1, changesets: history, progress: { clientVersion: 3, serverVersion: 0 } });
    await a.next((m) => m.type === 'download' && m.uploadAck === 3);
    const { c: b } = await identify('b');
    await downloadAll(b);
    history.push(putTask('b', 1, 'z', { by: 'b' }));
    b.send({ type: 'upload', session: 1, changesets: [history[3]!], progress: { clientVersion: 1, serverVersion: 3 } });
    await b.next((m) => m.type === 'download' && m.uploadAck === 1);

    const newEpoch = await server!.resetPartition('p');
    expect(await a.next(is('error', 1))).toMatchObject({ code: 'clientReset' });
    expect(await b.next(is('error', 1))).toMatchObject({ code: 'clientReset' });

    const { c: reader, epoch } = await identify('reader');
    expect(epoch).toBe(newEpoch);
    // The documents as the whole old history gave them, stamps and all (a's first put of x lost
    // to its second); as documents of the state, not as changesets.
    const fresh = await downloadEverything(reader);
    expect(fresh.changesets).toEqual([]);
    expect(fresh.documents.map((d) => d.id).sort()).toEqual(['x', 'y', 'z']);
    expect(dumpDocuments(fresh.set)).toEqual(dumpDocuments(foldHistory(history)));

    // A file whose acknowledgements never reached it (it holds nothing of the old epoch) takes
    // the new one, and its re-upload is acknowledged, not added again: the origins' versions
    // stay with the documents.
    const { c: again, epoch: taken } = await identify('a', { epoch: oldEpoch, upload: { clientVersion: 0, serverVersion: 0 }, download: { serverVersion: 0, clientVersion: 0 } });
    expect(taken).toBe(newEpoch);
    const retaken = await downloadEverything(again);
    again.send({ type: 'upload', session: 1, changesets: history.slice(0, 3), progress: { clientVersion: 3, serverVersion: retaken.serverVersion } });
    expect(await again.next((m) => m.type === 'download' && m.uploadAck === 3)).toMatchObject({ changesets: [], cursors: { serverVersion: retaken.serverVersion } });
    const { c: late } = await identify('late');
    expect(dumpDocuments((await downloadEverything(late)).set)).toEqual(dumpDocuments(foldHistory(history)));
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
    const fresh = await downloadEverything(reader);
    expect({ documents: fresh.documents, changesets: fresh.changesets }).toEqual({ documents: [], changesets: [] });
  });
});
