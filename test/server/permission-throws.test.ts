import { describe, expect, it } from 'vitest';
import { type SyncServer } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { useServerDir } from '../support/server-dir.js';
import { bindSession, is, logIn, WireClient } from '../support/wire-client.js';

const { dir, sockets, start } = useServerDir('permission-throws');
let server: SyncServer | undefined;

const bound = async (url: string, token: string, fileIdent: string) => (await bindSession(url, token, fileIdent, sockets)).client;

describe('a permissions function that throws', () => {
  it('denies that user only: the other sessions of the partition are still sent what is written', { timeout: 30_000 }, async () => {
    // The application's lookup fails for one user once the sessions are bound (a row deleted).
    const broken = new Set<string>();
    server = await start({
      permissions: (userId) => {
        if (broken.has(userId)) throw new Error(`no role for ${userId}`);
        return 'readWrite';
      },
    });
    const victim = await logIn(server.url);
    const reader = await logIn(server.url);
    const writer = await logIn(server.url);
    // Bound first: it is asked first when the partition grows.
    const v = await bound(server.url, victim.accessToken, 'victim');
    const r = await bound(server.url, reader.accessToken, 'reader');
    const w = await bound(server.url, writer.accessToken, 'writer');

    broken.add(victim.userId);
    w.send({ type: 'upload', session: 1, changesets: [putTask('writer', 1, 't1')], progress: { clientVersion: 1, serverVersion: 0 } });
    await w.next((m) => m.type === 'download' && m.uploadAck === 1);
    const got = await r.next((m) => m.type === 'download' && m.changesets.some((c) => c.origin === 'writer'), 10_000).then(
      () => true,
      () => false,
    );
    // Failing closed: the user whose permission cannot be decided is refused, not left hanging.
    const refusal = await v.next(is('error', 1), 10_000).then(
      (m) => (m.type === 'error' ? m.code : m.type),
      () => 'none',
    );
    console.log(`permission-throws: reader sent the new changeset ${got}; the user whose permissions threw got ${refusal}`);
    expect(got).toBe(true);
    expect(refusal).toBe('permissionDenied');
  });
});
