/**
 * Open after download (Realm's `newRealmFileBehavior` / `existingRealmFileBehavior`) and
 * progress while opening, against a real server: a new file opened with `downloadBeforeOpen`
 * holds what other users wrote when the open resolves; its download is reported to `onProgress`
 * and `.progress(cb)`, ending at 1; `timeOutMs` with `openLocal` opens what is there, with
 * `throwException` rejects with a `TimeoutError`; an `AbortSignal` cancels it; a refused or
 * cancelled open leaves nothing open (the file can be opened again, by another process too).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Credentials, Realm, TimeoutError, type SyncProgress } from '../../src/index.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const DOCS = 200;

/** Another user writes `DOCS` documents of partition `p` to the server. */
async function othersWrote(partition = 'p'): Promise<void> {
  const writer = await h.client(partition);
  writer.realm.write((tx) => {
    for (let i = 0; i < DOCS; i++) tx.put('Task', `t${i}`, { title: 'x'.repeat(200), n: i });
  });
  await writer.realm.syncSession!.waitForUpload(AbortSignal.timeout(10_000));
  writer.realm.close();
}

describe('Realm.open with downloadBeforeOpen', () => {
  it("a new file resolves holding the server's documents; onProgress and .progress hear the download, ending at 1", async () => {
    h = await new Harness().start();
    await othersWrote();
    const app = h.app();
    const user = await app.logIn(Credentials.anonymous());
    const viaOption: SyncProgress[] = [];
    const viaMethod: SyncProgress[] = [];
    const realm = await Realm.open(
      { sync: { user, partition: 'p', newRealmFileBehavior: { type: 'downloadBeforeOpen' } } },
      { onProgress: (p) => void viaOption.push(p) },
    ).progress((p) => void viaMethod.push(p));
    expect(realm.objects('Task')).toHaveLength(DOCS);
    expect(viaOption.length).toBeGreaterThan(0);
    expect(viaMethod).toEqual(viaOption);
    expect(viaOption.at(-1)).toMatchObject({ progressEstimate: 1, isTransferComplete: true });
    expect(viaOption.at(-1)!.transferredBytes).toBeGreaterThan(DOCS * 200);
    realm.close();
  });

  it('openImmediately (the default) resolves before the download; existingRealmFileBehavior applies to a file already there', async () => {
    h = await new Harness().start();
    const app = h.app();
    const user = await app.logIn(Credentials.anonymous());
    const first = await Realm.open({ sync: { user, partition: 'p', stopPolicy: 'immediately' } });
    first.close();
    await othersWrote();
    // The file exists now: newRealmFileBehavior does not apply, existingRealmFileBehavior does.
    const immediate = await Realm.open({ sync: { user, partition: 'p', stopPolicy: 'immediately', newRealmFileBehavior: { type: 'downloadBeforeOpen' } } });
    expect(immediate.objects('Task').length).toBeLessThan(DOCS);
    immediate.close();
    const downloaded = await Realm.open({ sync: { user, partition: 'p', stopPolicy: 'immediately', existingRealmFileBehavior: { type: 'downloadBeforeOpen' } } });
    expect(downloaded.objects('Task')).toHaveLength(DOCS);
    downloaded.close();
  });

  it('timeOutMs: openLocal opens what the file holds; throwException rejects with a TimeoutError and closes what it opened', async () => {
    h = await new Harness().start();
    const app = h.app({ reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1 } });
    const user = await app.logIn(Credentials.anonymous());
    await h.server.close(); // nobody answers: the download never comes
    const local = await Realm.open({ sync: { user, partition: 'p', stopPolicy: 'immediately', newRealmFileBehavior: { type: 'downloadBeforeOpen', timeOutMs: 100, timeOutBehavior: 'openLocal' } } });
    expect(local.objects('Task')).toEqual([]);
    const path = local.path;
    local.close();
    const refused = Realm.open({ sync: { user, partition: 'q', stopPolicy: 'immediately', newRealmFileBehavior: { type: 'downloadBeforeOpen', timeOutMs: 100, timeOutBehavior: 'throwException' } } });
    await expect(refused).rejects.toBeInstanceOf(TimeoutError);
    await expect(refused).rejects.toThrow('Realm.open: the download did not complete in 100 ms.');
    // Nothing half-open: the refused file is free for another opener (its lock would refuse it otherwise).
    const q = app.syncManager.getSession(user, 'q')!;
    expect(q.state).not.toBe('active');
    for (const free of [RealmFile.open({ path }), RealmFile.open({ path: q.realmPath })]) free.close();
    // realm-js's own spellings, as its configurations have them: timeOut, openLocalRealm.
    const ported = await Realm.open({ sync: { user, partition: 'r', stopPolicy: 'immediately', newRealmFileBehavior: { type: 'downloadBeforeOpen', timeOut: 100, timeOutBehavior: 'openLocalRealm' } } });
    expect(ported.objects('Task')).toEqual([]);
    ported.close();
    await expect(Realm.open({ sync: { user, partition: 's', stopPolicy: 'immediately', newRealmFileBehavior: { type: 'downloadBeforeOpen', timeOut: 100 } } })).rejects.toThrow('Realm.open: the download did not complete in 100 ms.');
  });

  it('a rejected open of a liveIndefinitely session closes its handle and the session syncs on', async () => {
    h = await new Harness().start();
    const app = h.app();
    const user = await app.logIn(Credentials.anonymous());
    const writer = await h.client('p');
    writer.realm.write((tx) => tx.put('Task', 'later', { n: 1 }));
    await writer.realm.syncSession!.waitForUpload();
    // Aborted before the download could finish: the open rejects, its session lives on by its policy.
    const opening = Realm.open({ sync: { user, partition: 'p', stopPolicy: 'liveIndefinitely', newRealmFileBehavior: { type: 'downloadBeforeOpen' } } }, { signal: AbortSignal.abort(new Error('not now')) });
    await expect(opening).rejects.toThrow('not now');
    const aborted = app.syncManager.getSession(user, 'p');
    expect(aborted).toBeUndefined(); // aborted before it started: nothing was opened at all
    const controller = new AbortController();
    const second = Realm.open({ sync: { user, partition: 'p', stopPolicy: 'liveIndefinitely', newRealmFileBehavior: { type: 'downloadBeforeOpen' } } }, { signal: controller.signal });
    // The open made its handle and session before its first wait: aborted now, it rejects there.
    expect(app.syncManager.getSession(user, 'p')).toBeDefined();
    controller.abort(new Error('changed my mind'));
    await expect(second).rejects.toThrow('changed my mind');
    const session = app.syncManager.getSession(user, 'p')!;
    expect(session.state).toBe('active');
    await session.waitForDownload(AbortSignal.timeout(5_000));
    const reopened = await Realm.open({ sync: { user, partition: 'p', stopPolicy: 'liveIndefinitely' } });
    expect(reopened.objects('Task')).toEqual([{ id: 'later', fields: { n: 1 } }]);
    reopened.close();
  });

  it('an AbortSignal cancels the open: it rejects with the reason and leaves the file closed', async () => {
    h = await new Harness().start();
    const app = h.app({ reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1 } });
    const user = await app.logIn(Credentials.anonymous());
    await h.server.close();
    const controller = new AbortController();
    const opening = Realm.open({ sync: { user, partition: 'p', stopPolicy: 'immediately', newRealmFileBehavior: { type: 'downloadBeforeOpen' } } }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('the user gave up')), 50);
    await expect(opening).rejects.toThrow('the user gave up');
    const session = app.syncManager.getSession(user, 'p')!;
    expect(session.state).not.toBe('active');
    const free = RealmFile.open({ path: session.realmPath });
    free.close();
    // Aborted before it starts: nothing is opened at all.
    await expect(Realm.open({ sync: { user, partition: 'r' } }, { signal: AbortSignal.abort(new Error('never')) })).rejects.toThrow('never');
    expect(app.syncManager.getSession(user, 'r')).toBeUndefined();
  });
});
