/**
 * A changeset refused with `clockSkew` is not gone: it waits in the file with its stamp (a stamp
 * is forever), and the server takes it once its own clock is within `maxClockSkewMs` of it. The
 * session used to send it once and never again until a reconnect (its upload position had moved
 * past it), so `waitForUpload` hung and every later commit got `badChangeset` (a gap). Now the
 * server names in `backoffMs` when the stamp will be taken, and the session sends the
 * changesets again from its upload cursor then, holding new uploads meanwhile.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Credentials, Realm, type SyncError } from '../../src/index.js';
import { startServer } from '../../src/server/index.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { is, logIn, WireClient } from '../support/wire-client.js';
import { Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('clockSkew: a refused changeset goes again once the server would take it', () => {
  it('commits made while the device clock ran 3 s ahead (skew bound 1 s) upload without a reconnect; later commits too', async () => {
    const skewMs = 1_000;
    h = await new Harness().start({ maxClockSkewMs: skewMs });
    const path = join(h.dir, 'ahead.realm');
    // The device's clock ran ahead when these were committed, then was set right.
    const ahead = RealmFile.open({ path, now: () => Date.now() + 3 * skewMs });
    ahead.write((tx) => tx.put('Task', 'ahead-1', { n: 1 }));
    ahead.write((tx) => tx.put('Task', 'ahead-2', { n: 2 }));
    ahead.close();

    const app = h.app();
    const user = await app.logIn(Credentials.anonymous());
    const errors: SyncError[] = [];
    const realm = await Realm.open({ path, sync: { user, partition: 'skew', onError: (_s, e) => errors.push(e) } });
    const session = realm.syncSession!;
    const started = Date.now();
    // A commit made after the clock was set right: stamped after the others (HLC), held with them.
    realm.write((tx) => tx.put('Task', 'after', { n: 3 }));
    await session.waitForUpload(AbortSignal.timeout(30_000));
    const took = Date.now() - started;

    const reader = await h.client('skew');
    await reader.realm.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
    const ids = reader.realm.objects('Task').map((o) => o.id).sort();
    const codes = errors.map((e) => e.code);
    console.log(`clockSkew retry: uploaded after ${took} ms; errors ${JSON.stringify(codes)}; reader holds ${JSON.stringify(ids)}; sockets ${String(h.sockets.get(app))}`);
    expect(ids).toEqual(['after', 'ahead-1', 'ahead-2']);
    expect(codes.length).toBeGreaterThan(0);
    // Refused for the stamp only: never a gap (badChangeset) from later commits sent past it.
    expect(codes.every((c) => c === 'clockSkew')).toBe(true);
    // No reconnect was needed: one socket all along.
    expect(h.sockets.get(app)).toBe(1);
  }, 60_000);

  it('a history holding a stamp at 2^53 − 1 (taken before the check) no longer drags a client there: its later commits upload', async () => {
    // The server before the check: it took any stamp (a skew bound no stamp exceeds).
    h = await new Harness().start({ maxClockSkewMs: Number.MAX_SAFE_INTEGER });
    const login = await logIn(h.server.url);
    const mallory = await WireClient.connect(h.server.url);
    try {
      mallory.send({ type: 'bind', session: 1, partition: 'old', token: login.accessToken });
      mallory.send({ type: 'ident', session: 1, fileIdent: 'ba0ba0ba0ba0ba0b' });
      await mallory.next(is('ident', 1));
      const hostile = { clientVersion: 1, origin: 'ba0ba0ba0ba0ba0b', hlc: { wall: Number.MAX_SAFE_INTEGER, counter: 0 }, ops: [{ op: 'put' as const, type: 'Task', id: 'hostile', fields: { by: 'mallory' } }] };
      mallory.send({ type: 'upload', session: 1, changesets: [hostile], progress: { clientVersion: 0, serverVersion: 0 } });
      await mallory.next((m) => m.type === 'download' && m.uploadAck >= 1, 10_000);
    } finally {
      mallory.close();
    }
    await h.server.close();
    // Upgraded: the same histories, with the check (a short bound keeps the test short).
    h.server = await startServer({ dataDir: join(h.dir, 'server'), port: 0, maxClockSkewMs: 1_000 });

    const a = await h.client('old');
    const session = a.realm.syncSession!;
    await session.waitForDownload(AbortSignal.timeout(10_000));
    a.realm.write((tx) => tx.put('Task', 'mine', { by: 'a' }));
    let outcome = 'uploaded';
    try {
      await session.waitForUpload(AbortSignal.timeout(30_000));
    } catch (error) {
      outcome = String(error);
    }
    console.log(`poisoned history: the hostile document downloaded (${String(a.realm.objects('Task').some((o) => o.id === 'hostile'))}); a later commit: ${outcome}; errors ${JSON.stringify(a.errors.map((e) => e.code))}`);
    expect(outcome).toBe('uploaded');
    expect(a.realm.objects('Task').map((o) => o.id).sort()).toEqual(['hostile', 'mine']);
  }, 60_000);
});
