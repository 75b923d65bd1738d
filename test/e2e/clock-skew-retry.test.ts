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
import { RealmFile } from '../../src/store/realm-file.js';
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
});
