import * as fs from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { changesetBytes, type Changeset, type ServerChangeset } from '../../src/protocol/changeset.codec.js';
import { compareHlc } from '../../src/store/hlc.js';
import { RealmFile, type RealmChange } from '../../src/store/realm-file.js';
import { RECORD_LOG_MAGIC, readRecordAt } from '../../src/store/record-framing.js';
import { ClosedError, InvalidInputError, TransactionStateError } from '../../src/store/store-errors.js';
import { RecordingLogger, useTempDir } from './temp-dir.js';
import { decodedChangesets } from '../support/decoded-changesets.js';

const tempDir = useTempDir('client-reset');
const realmPath = (): string => join(tempDir(), 'local.realm');

const ZERO_CURSORS = { upload: { clientVersion: 0, serverVersion: 0 }, download: { serverVersion: 0, clientVersion: 0 }, epoch: undefined };
const sum = (changesets: readonly Changeset[]): number => changesets.reduce((total, c) => total + changesetBytes(c), 0);
const byKey = (changes: ReadonlyArray<{ type: string; id: string }>): string[] => changes.map(({ type, id }) => `${type}/${id}`).sort();

/** A remote changeset from `peer` at wall time 5,000: newer than every local write below (clock 1,000). */
const REMOTE: ServerChangeset = {
  origin: 'peer',
  serverVersion: 1,
  clientVersion: 1,
  hlc: { wall: 5_000, counter: 0 },
  ops: [
    { op: 'put', type: 'P', id: 'p', fields: { x: 1 } },
    { op: 'put', type: 'T', id: 'b', fields: { v: 9 } },
  ],
};

/**
 * A synced file: changeset 1 acknowledged, 2 and 3 not, a download (which overwrites T/b with a
 * newer stamp) and an epoch. Visible: T/a {v:3}, T/b {v:9}, P/p {x:1}; T/gone is deleted.
 */
function populated(file: string): RealmFile {
  const realm = RealmFile.open({ path: file, now: () => 1_000 });
  realm.write((tx) => {
    tx.put('T', 'a', { v: 1 });
    tx.put('T', 'gone', { v: 1 });
  });
  realm.write((tx) => {
    tx.put('T', 'b', { v: 2 });
    tx.delete('T', 'gone');
  });
  realm.write((tx) => tx.put('T', 'a', { v: 3 }));
  realm.acknowledgeUpload(1);
  realm.integrateDownload(decodedChangesets([REMOTE]), { serverVersion: 1, clientVersion: 1 }, 40);
  realm.setEpoch('epoch-1');
  return realm;
}

describe('client reset: discard', () => {
  it('drops documents and unacknowledged changesets; new ident, zero cursors, no epoch, monotonic progress', () => {
    const realm = populated(realmPath());
    const changes: RealmChange[] = [];
    realm.addListener((c) => changes.push(c));
    const oldIdent = realm.fileIdent;
    const progress = realm.progress;
    expect(realm.pendingChangesets(0)).toHaveLength(2);

    const result = realm.resetForClientReset('discard');

    expect(result).toEqual({ unsyncedChangesets: 2, recovered: false, previousFileIdent: oldIdent });
    expect(Object.isFrozen(result)).toBe(true);
    expect(realm.fileIdent).toMatch(/^[0-9a-f]{16}$/);
    expect(realm.fileIdent).not.toBe(oldIdent);
    expect(realm.clientVersion).toBe(0);
    expect(realm.cursors).toEqual(ZERO_CURSORS);
    expect(realm.pendingChangesets(0)).toEqual([]);
    expect(realm.snapshotDocuments()).toEqual({});
    expect(realm.objects('T')).toEqual([]);
    expect(realm.progress).toEqual({ upload: { transferred: progress.upload.transferable, transferable: progress.upload.transferable }, download: progress.download });
    // One change, remote, naming the documents readers saw vanish (not the one deleted already).
    expect(changes).toHaveLength(1);
    expect(changes[0]?.origin).toBe('remote');
    expect(byKey(changes[0]?.changed ?? [])).toEqual(['P/p', 'T/a', 'T/b']);

    // The file goes on under its new ident: version 1, stamps after everything seen before.
    realm.write((tx) => tx.put('T', 'new', { v: 1 }));
    const [first] = realm.pendingChangesets(0);
    expect(first).toMatchObject({ clientVersion: 1, origin: realm.fileIdent });
    expect(compareHlc(first!.hlc, REMOTE.hlc)).toBeGreaterThan(0);
    realm.setEpoch('epoch-2');
    expect(realm.cursors.epoch).toBe('epoch-2');
    realm.close();
  });
});

describe('client reset: recover', () => {
  it('replays the unacknowledged changesets as versions 1..n of the new ident, with fresh stamps that win', () => {
    const realm = populated(realmPath());
    const changes: RealmChange[] = [];
    realm.addListener((c) => changes.push(c));
    const oldIdent = realm.fileIdent;
    const progress = realm.progress;
    const unsynced = realm.pendingChangesets(0);
    expect(unsynced.map((c) => c.clientVersion)).toEqual([2, 3]);

    const result = realm.resetForClientReset('recover');

    expect(result).toEqual({ unsyncedChangesets: 2, recovered: true, previousFileIdent: oldIdent });
    expect(realm.fileIdent).not.toBe(oldIdent);
    const replayed = realm.pendingChangesets(0);
    expect(replayed.map((c) => [c.clientVersion, c.origin])).toEqual([
      [1, realm.fileIdent],
      [2, realm.fileIdent],
    ]);
    // Changeset 1 was acknowledged before the reset: it is not replayed.
    expect(replayed.map((c) => c.ops)).toEqual(unsynced.map((c) => c.ops));
    expect(compareHlc(replayed[0]!.hlc, REMOTE.hlc)).toBeGreaterThan(0);
    expect(compareHlc(replayed[1]!.hlc, replayed[0]!.hlc)).toBeGreaterThan(0);
    expect(realm.pendingChangesets(1).map((c) => c.clientVersion)).toEqual([2]);
    expect(realm.clientVersion).toBe(2);
    expect(realm.cursors).toEqual(ZERO_CURSORS);

    // Documents come only from the replay; the replayed T/b beats the (older) server write it lost to before.
    expect(realm.snapshotDocuments()).toEqual({
      T: [
        { id: 'a', fields: { v: 3 } },
        { id: 'b', fields: { v: 2 } },
      ],
    });
    expect(realm.objectForPrimaryKey('T', 'gone')).toBeUndefined();
    expect(realm.progress).toEqual({
      upload: { transferred: progress.upload.transferable, transferable: progress.upload.transferable + sum(replayed) },
      download: progress.download,
    });
    // T/a reads as before (replayed to the same value): not a change. P/p vanished, T/b changed.
    expect(changes).toHaveLength(1);
    expect(changes[0]?.origin).toBe('remote');
    expect(byKey(changes[0]?.changed ?? [])).toEqual(['P/p', 'T/b']);

    realm.acknowledgeUpload(1);
    expect(realm.pendingChangesets(0).map((c) => c.clientVersion)).toEqual([2]);
    expect(realm.progress.upload.transferred).toBe(progress.upload.transferable + changesetBytes(replayed[0]!));
    realm.close();
  });

  it('with nothing unacknowledged it only starts over', () => {
    const realm = RealmFile.open({ path: realmPath() });
    realm.write((tx) => tx.put('T', 'a', { v: 1 }));
    realm.acknowledgeUpload(1);
    expect(realm.resetForClientReset('recover')).toMatchObject({ unsyncedChangesets: 0, recovered: true });
    expect(realm.clientVersion).toBe(0);
    expect(realm.snapshotDocuments()).toEqual({});
    realm.close();
  });

  it("with 'batched' durability the replayed changesets are durable with the rewrite: uploadable and announced at once", async () => {
    const realm = RealmFile.open({ path: realmPath(), durability: 'batched' });
    const changes: RealmChange[] = [];
    realm.write((tx) => tx.put('T', '1', { v: 1 }));
    realm.write((tx) => tx.put('T', '2', { v: 1 }));
    realm.write((tx) => tx.put('T', '3', { v: 1 }));
    await realm.flush();
    realm.acknowledgeUpload(1);
    realm.addListener((c) => changes.push(c));
    realm.write((tx) => tx.put('T', '4', { v: 1 })); // not yet durable when the reset starts

    realm.resetForClientReset('recover');
    expect(realm.clientVersion).toBe(3);
    // The rewrite fsynced the file and its directory: the replay is on disk already.
    expect(realm.pendingChangesets(0).map((c) => [c.clientVersion, c.origin])).toEqual([1, 2, 3].map((v) => [v, realm.fileIdent]));
    expect(changes).toEqual([{ origin: 'remote', changed: [{ type: 'T', id: '1' }] }]);
    // The pre-reset commit's own notification still comes, after its (superseded) fsync.
    await realm.flush();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(changes).toEqual([
      { origin: 'remote', changed: [{ type: 'T', id: '1' }] },
      { origin: 'local', changed: [{ type: 'T', id: '4' }] },
    ]);
    expect(realm.pendingChangesets(0)).toHaveLength(3);
    realm.close();
  });
});

describe('client reset: durability', () => {
  it.each(['discard', 'recover'] as const)('a reopen after a %s reset restores exactly the reset state', (mode) => {
    const file = realmPath();
    const realm = populated(file);
    realm.resetForClientReset(mode);
    const state = (r: RealmFile) => ({
      ident: r.fileIdent,
      version: r.clientVersion,
      cursors: r.cursors,
      progress: r.progress,
      documents: r.snapshotDocuments(),
      pending: r.pendingChangesets(0),
    });
    const before = state(realm);
    realm.close();

    const reopened = RealmFile.open({ path: file, now: () => 0 });
    expect(state(reopened)).toEqual(before);
    // The HLC came back too: the next stamp follows the replay and the server stamps seen before the reset.
    reopened.write((tx) => tx.put('T', 'after', { v: 1 }));
    const latest = reopened.pendingChangesets(before.version)[0];
    expect(latest?.clientVersion).toBe(before.version + 1);
    for (const earlier of [REMOTE.hlc, ...before.pending.map((c) => c.hlc)]) expect(compareHlc(latest!.hlc, earlier)).toBeGreaterThan(0);
    reopened.close();
  });

  it('a crash leaves the old file, or the whole reset file with the whole replay: never a mix', () => {
    const file = realmPath();
    const realm = RealmFile.open({ path: file });
    for (let i = 1; i <= 4; i++) realm.write((tx) => tx.put('T', `${i}`, { i }));
    realm.acknowledgeUpload(1);
    realm.integrateDownload(decodedChangesets([{ ...REMOTE, serverVersion: 1 }]), { serverVersion: 1, clientVersion: 1 });
    realm.setEpoch('epoch-1');
    const old = { ident: realm.fileIdent, pending: realm.pendingChangesets(0), progress: realm.progress };
    realm.close();
    const oldBytes = fs.readFileSync(file);

    const reset = RealmFile.open({ path: file });
    reset.resetForClientReset('recover');
    const replayed = reset.pendingChangesets(0);
    const ident = reset.fileIdent;
    expect(replayed).toHaveLength(3);
    reset.close();
    const newBytes = fs.readFileSync(file);
    // One record: the reset state with the replay inside it.
    const snapshot = readRecordAt(newBytes, RECORD_LOG_MAGIC.length);
    if (E.isLeft(snapshot)) throw new Error(snapshot.left);
    expect(snapshot.right.next).toBe(newBytes.length);

    // Before the rename: the old file is whole, the new one only a scratch file (any part of it).
    const crashed = join(tempDir(), 'crashed.realm');
    for (let cut = 0; cut <= newBytes.length; cut += Math.max(1, Math.floor(newBytes.length / 50))) {
      fs.writeFileSync(crashed, oldBytes);
      fs.writeFileSync(`${crashed}.tmp`, newBytes.subarray(0, cut));
      const opened = RealmFile.open({ path: crashed, logger: new RecordingLogger() });
      expect(opened.fileIdent).toBe(old.ident);
      expect(opened.cursors.epoch).toBe('epoch-1');
      expect(opened.pendingChangesets(0)).toEqual(old.pending);
      expect(opened.objects('P')).toHaveLength(1);
      expect(fs.existsSync(`${crashed}.tmp`)).toBe(false);
      opened.close();
    }

    // After the rename: the reset file, with every unacknowledged changeset once.
    fs.writeFileSync(crashed, newBytes);
    const opened = RealmFile.open({ path: crashed, logger: new RecordingLogger() });
    expect(opened.fileIdent).toBe(ident);
    expect(opened.cursors).toEqual(ZERO_CURSORS);
    expect(opened.pendingChangesets(0)).toEqual(replayed);
    expect(replayed.map((c) => c.ops)).toEqual(old.pending.map((c) => c.ops));
    expect(opened.snapshotDocuments()).toEqual({ T: ['2', '3', '4'].map((id) => ({ id, fields: { i: Number(id) } })) });
    expect(opened.progress.upload).toEqual({ transferred: old.progress.upload.transferable, transferable: old.progress.upload.transferable + sum(replayed) });
    expect(opened.progress.download).toEqual(old.progress.download);
    opened.close();
  });
});

describe('client reset: again, and misuse', () => {
  it('a second reset works: another ident, versions restart, what was acknowledged in between is not replayed', () => {
    const realm = populated(realmPath());
    const first = realm.resetForClientReset('recover');
    const identAfterFirst = realm.fileIdent;
    realm.acknowledgeUpload(1);
    realm.write((tx) => tx.put('T', 'c', { v: 1 }));
    const unsynced = realm.pendingChangesets(0);
    expect(unsynced.map((c) => c.clientVersion)).toEqual([2, 3]);
    realm.setEpoch('epoch-2');

    const second = realm.resetForClientReset('recover');
    expect(second).toEqual({ unsyncedChangesets: 2, recovered: true, previousFileIdent: identAfterFirst });
    expect(new Set([first.previousFileIdent, identAfterFirst, realm.fileIdent]).size).toBe(3);
    expect(realm.pendingChangesets(0).map((c) => [c.clientVersion, c.origin, c.ops])).toEqual(unsynced.map((c, i) => [i + 1, realm.fileIdent, c.ops]));
    expect(realm.cursors).toEqual(ZERO_CURSORS);
    expect(realm.snapshotDocuments()).toEqual({
      T: [
        { id: 'a', fields: { v: 3 } },
        { id: 'c', fields: { v: 1 } },
      ],
    });
    realm.resetForClientReset('discard');
    expect(realm.clientVersion).toBe(0);
    expect(realm.progress.upload.transferred).toBe(realm.progress.upload.transferable);
    realm.close();
  });

  it('throws inside a write, on a closed file, and for an unknown mode, changing nothing', () => {
    const realm = populated(realmPath());
    const ident = realm.fileIdent;
    expect(() => realm.write(() => realm.resetForClientReset('discard'))).toThrow(TransactionStateError);
    expect(() => realm.resetForClientReset('both' as never)).toThrow(InvalidInputError);
    expect(realm.fileIdent).toBe(ident);
    expect(realm.clientVersion).toBe(3);
    realm.close();
    expect(() => realm.resetForClientReset('recover')).toThrow(ClosedError);
    expect(() => realm.snapshotDocuments()).toThrow(ClosedError);
  });
});

describe('snapshotDocuments', () => {
  it('is a frozen copy by type, with only visible documents, unaffected by later writes', () => {
    const realm = RealmFile.open({ path: realmPath() });
    realm.write((tx) => {
      tx.put('B', '2', { n: 2, nested: { list: [1] } });
      tx.put('B', '1', { n: 1 });
      tx.put('A', 'x', { s: 'x' });
      tx.put('__proto__', 'p', { odd: true });
      tx.put('Gone', 'g', { v: 1 });
    });
    realm.write((tx) => tx.delete('Gone', 'g'));
    const snap = realm.snapshotDocuments();
    expect(Object.keys(snap)).toEqual(['A', 'B', '__proto__']);
    expect(snap.B).toEqual([
      { id: '1', fields: { n: 1 } },
      { id: '2', fields: { n: 2, nested: { list: [1] } } },
    ]);
    expect(Object.getPrototypeOf(snap)).toBe(Object.prototype);
    expect(Object.hasOwn(snap, '__proto__')).toBe(true);
    expect(Object.isFrozen(snap)).toBe(true);
    expect(Object.isFrozen(snap.B)).toBe(true);
    expect(Object.isFrozen(snap.B?.[1])).toBe(true);
    expect(Object.isFrozen(snap.B?.[1]?.fields.nested)).toBe(true);
    expect(() => (snap.B as Array<unknown>).push(1)).toThrow(TypeError);

    const copy = JSON.parse(JSON.stringify(snap)) as unknown;
    realm.write((tx) => {
      tx.put('B', '1', { n: 100 });
      tx.delete('B', '2');
      tx.put('A', 'y', { s: 'y' });
      tx.put('C', 'c', { v: 1 });
    });
    realm.resetForClientReset('discard');
    expect(JSON.parse(JSON.stringify(snap))).toEqual(copy);
    expect(realm.snapshotDocuments()).toEqual({});
    realm.close();
  });
});
