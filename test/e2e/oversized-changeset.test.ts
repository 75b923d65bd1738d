/**
 * An oversized changeset used to stall its user forever: the server's socket closed on the
 * frame, the client reconnected and sent it again, and the user's other partitions on that
 * socket starved. Now `write` refuses one over the server's limit (named in IDENT), uploads are
 * batched under it, and one already in a file ends its own session only.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Credentials, InvalidInputError, Realm, SyncError, type SyncSession } from '../../src/index.js';
import { DEFAULT_MAX_CHANGESET_BYTES } from '../../src/protocol/limits.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { eventually, Harness } from './harness.js';

const MB = 1024 * 1024;
let h: Harness;
afterEach(async () => {
  await h.close();
});

const sizeOf = (path: string): number => (existsSync(path) ? statSync(path).size : 0);

describe('oversized changesets', () => {
  it('write refuses a 20 MB document with InvalidInputError naming size and limit; nothing is written', async () => {
    h = await new Harness().start();
    const a = await h.client();
    const s = a.realm.syncSession!;
    await s.waitForDownload(AbortSignal.timeout(10_000));
    a.realm.write((tx) => tx.put('Doc', 'small', { n: 1 }));
    await s.waitForUpload(AbortSignal.timeout(10_000));
    const bytesBefore = sizeOf(a.realm.path);
    let thrown: unknown;
    try {
      a.realm.write((tx) => tx.put('Doc', 'big', { body: 'x'.repeat(20 * MB) }));
    } catch (error) {
      thrown = error;
    }
    console.log(`20 MB write: ${String(thrown)}`);
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect(String(thrown)).toMatch(new RegExp(`the changeset is 2097\\d{4} bytes, over the limit of ${DEFAULT_MAX_CHANGESET_BYTES} bytes`));
    expect(a.realm.objectForPrimaryKey('Doc', 'big')).toBeUndefined();
    expect(sizeOf(a.realm.path)).toBe(bytesBefore);
    // The session goes on: a later write syncs, and the socket was never dropped.
    a.realm.write((tx) => tx.put('Doc', 'after', { n: 2 }));
    await s.waitForUpload(AbortSignal.timeout(10_000));
    expect(a.errors).toEqual([]);
    expect(h.sockets.get(a.app)).toBe(1);
  });

  it("the limit is the server's, from IDENT; a burst of changesets goes in frames under it", async () => {
    h = await new Harness().start({ maxMessageBytes: 256 * 1024 });
    const a = await h.client();
    const s = a.realm.syncSession!;
    await s.waitForDownload(AbortSignal.timeout(10_000));
    // Under the default server's limit, over this one's.
    expect(() => a.realm.write((tx) => tx.put('Doc', 'big', { body: 'x'.repeat(300 * 1024) }))).toThrow(/over the limit of 261120 bytes/);
    // Ten changesets of 100 KB: 1 MB pending, which used to go as one UPLOAD.
    for (let i = 0; i < 10; i++) a.realm.write((tx) => tx.put('Doc', `d${i}`, { body: String(i).repeat(100 * 1024) }));
    await s.waitForUpload(AbortSignal.timeout(20_000));
    const b = await h.client();
    await b.realm.syncSession!.waitForDownload(AbortSignal.timeout(20_000));
    expect(b.realm.objects('Doc').map((o) => o.id)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9']);
    console.log(`burst of 10 × 100 KB under a 256 KiB frame limit: sockets opened ${h.sockets.get(a.app)}, errors ${a.errors.length}`);
    expect(a.errors).toEqual([]);
    expect(h.sockets.get(a.app)).toBe(1);
  });

  it('an oversized changeset already in a file ends that session only; the same user syncs another partition on the socket', async () => {
    h = await new Harness().start();
    const app = h.app();
    const user = await app.logIn(Credentials.anonymous());
    // A file written before the limit existed: the store itself takes any size.
    const oldPath = join(h.dir, 'old-file.realm');
    const old = RealmFile.open({ path: oldPath });
    old.write((tx) => tx.put('Doc', 'big', { body: 'y'.repeat(20 * MB) }));
    old.close();

    const errors: Array<{ session: SyncSession; error: SyncError }> = [];
    const onError = (session: SyncSession, error: SyncError) => errors.push({ session, error });
    const stuck = await Realm.open({ path: oldPath, sync: { user, partition: 'big', onError } });
    const other = await Realm.open({ sync: { user, partition: 'other', onError } });
    const stuckWait = stuck.syncSession!.waitForUpload(AbortSignal.timeout(60_000)).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await eventually(() => errors.length > 0, 'the oversized session reported', 60_000);
    const rejected = await stuckWait;
    expect(rejected).toBeInstanceOf(SyncError);
    expect(rejected).toMatchObject({ code: 'messageTooBig', category: 'protocol', isFatal: true });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.session).toBe(stuck.syncSession);
    expect(errors[0]!.error.message).toMatch(/local changeset 1 is 2097\d{4} bytes, over the server's limit/);
    expect(stuck.syncSession!.state).toBe('inactive');

    for (let i = 0; i < 5; i++) {
      other.write((tx) => tx.put('Doc', `o${i}`, { i }));
      await other.syncSession!.waitForUpload(AbortSignal.timeout(10_000));
    }
    const reader = await h.client('other');
    await reader.realm.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
    expect(reader.realm.objects('Doc').map((o) => o.id)).toEqual(['o0', 'o1', 'o2', 'o3', 'o4']);
    console.log(`old oversized changeset: errors ${errors.length} (${errors[0]!.error.code}), other partition synced 5 of 5, sockets opened ${h.sockets.get(app)}`);
    expect(other.syncSession!.state).toBe('active');
    expect(h.sockets.get(app)).toBe(1);
  }, 120_000);
});
