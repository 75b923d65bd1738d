import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer, type Permission, type SyncServer } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { useServerDir } from '../support/server-dir.js';
import { bindSession, is, logIn, WireClient } from '../support/wire-client.js';

const { dir, sockets, start } = useServerDir('permission-per-upload');
let server: SyncServer | undefined;

const bound = (url: string, token: string, fileIdent: string) => bindSession(url, token, fileIdent, sockets);

describe('permissions are decided at every UPLOAD, not only at BIND', () => {
  it('a user lowered to read-only mid-session has its writes refused by a compensating write; the session goes on, and only the emptied versions are stored', { timeout: 30_000 }, async () => {
    // What the application decides now; the test changes it while the session stays bound.
    const granted = new Map<string, Permission>();
    server = await start({ permissions: (userId, partition) => granted.get(`${userId}/${partition}`) ?? 'readWrite' });
    const writer = await logIn(server.url);
    const { client } = await bound(server.url, writer.accessToken, 'writer');

    client.send({ type: 'upload', session: 1, changesets: [putTask('writer', 1, 't1')], progress: { clientVersion: 1, serverVersion: 0 } });
    await client.next((m) => m.type === 'download' && m.uploadAck === 1);

    granted.set(`${writer.userId}/team`, 'read');
    // Re-sent 1 (stored before the change) is not refused; 2 and 3 are, the empty 3 included.
    const refusedUpload = [putTask('writer', 1, 't1'), putTask('writer', 2, 't2'), { ...putTask('writer', 3, 't3'), ops: [] }];
    client.send({ type: 'upload', session: 1, changesets: refusedUpload, progress: { clientVersion: 3, serverVersion: 0 } });
    const refused = await client.next(is('error', 1));
    expect(refused).toMatchObject({
      code: 'compensatingWrite',
      category: 'session',
      isFatal: false,
      backoffMs: 0,
      compensatingWrite: { from: 2, through: 3, writes: [{ type: 'Task', id: 't2', reason: `user ${writer.userId} may only read partition team` }], omittedWrites: 0 },
    });

    // The client hands the versions back emptied: stored and acknowledged, the session still bound.
    client.send({ type: 'upload', session: 1, changesets: [{ ...putTask('writer', 2, 't2'), ops: [] }, { ...putTask('writer', 3, 't3'), ops: [] }], progress: { clientVersion: 3, serverVersion: 0 } });
    await client.next((m) => m.type === 'download' && m.uploadAck === 3);

    const reader = await logIn(server.url);
    const { first } = await bound(server.url, reader.accessToken, 'reader');
    const stored = first.type === 'download' ? first.changesets.map((c) => `${c.origin}#${c.clientVersion}:${c.ops.length}`) : [];
    expect(stored).toEqual(['writer#1:1', 'writer#2:0', 'writer#3:0']);
    console.log(`permission-per-upload: the upload before the change stored; after it ${JSON.stringify(refused.type === 'error' ? refused.compensatingWrite : undefined)} refused; history ${JSON.stringify(stored)}`);
  });

  it('a user lowered to no access mid-session gets permissionDenied and is sent nothing written after it', { timeout: 30_000 }, async () => {
    const granted = new Map<string, Permission>();
    const dataDir = join(dir, 'none');
    const local = await start({ dataDir, permissions: (userId, partition) => granted.get(`${userId}/${partition}`) ?? 'readWrite' });
    try {
      const writer = await logIn(local.url);
      const reader = await logIn(local.url);
      const { client: w } = await bound(local.url, writer.accessToken, 'writer');
      const { client: r } = await bound(local.url, reader.accessToken, 'reader');

      w.send({ type: 'upload', session: 1, changesets: [putTask('writer', 1, 'before')], progress: { clientVersion: 1, serverVersion: 0 } });
      await w.next((m) => m.type === 'download' && m.uploadAck === 1);
      await r.next((m) => m.type === 'download' && m.changesets.some((c) => c.origin === 'writer'));

      granted.set(`${reader.userId}/team`, 'none');
      // Written after the reader lost access: pushed to subscribers as it is integrated.
      w.send({ type: 'upload', session: 1, changesets: [putTask('writer', 2, 'after')], progress: { clientVersion: 2, serverVersion: 0 } });
      await w.next((m) => m.type === 'download' && m.uploadAck === 2);
      // The reader's own (empty) upload and a MARK: both answered with the partition's news unless refused.
      r.send({ type: 'upload', session: 1, changesets: [], progress: { clientVersion: 0, serverVersion: 1 } });
      r.send({ type: 'mark', session: 1, requestId: 'm' });
      // The first answer to either: the refusal, or (without the check) the MARK's echo.
      const error = await r.next((m) => (m.type === 'error' || m.type === 'mark') && 'session' in m && m.session === 1, 10_000);
      // Whatever reached the reader before its error: nothing written after the change.
      const leaked = r.received.flatMap((m) => (m.type === 'download' ? m.changesets.filter((c) => c.origin === 'writer' && c.clientVersion === 2) : []));
      console.log(`permission-none: reader error ${error.type === 'error' ? error.code : error.type}; changesets written after the change sent to it: ${leaked.length}`);
      expect(leaked).toEqual([]);
      expect(error).toMatchObject({ code: 'permissionDenied', isFatal: true });
    } finally {
      await local.close();
    }
  });
});
