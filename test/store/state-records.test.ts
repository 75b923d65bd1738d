/**
 * `RealmFile.integrateState`: the documents of a server's `state` message staged as one record
 * per frame (no cursor moved, the bytes counted as downloaded, the clock following their
 * stamps), seen by no reader and no listener until the next `remote` record — the DOWNLOAD
 * that ends the batch, even one without changesets — merges them all into the file at once
 * (per field the greater stamp, the greater tombstone) and listeners hear `remote` once. A new
 * epoch discards a staged bootstrap, the same epoch keeps it. Replayed on open as staged or
 * merged as it was, kept by compaction in its snapshot (the staged part under `staged`), and
 * gone through a client reset like any other state. A forged state record in the file is
 * refused and reported, and the records after it are kept.
 */
import { appendFileSync, copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { DocumentEntry } from '../../src/protocol/document-entry.codec.js';
import { RealmFile, type RealmChange } from '../../src/store/realm-file.js';
import { encodeRecords } from '../../src/store/record-framing.js';
import { openRecordLog } from '../../src/store/record-log.js';
import type { Stamp } from '../../src/store/stamp.js';
import { decodeStoreRecord, storeRecordProblem, type SnapshotRecord, type StoreRecord } from '../../src/store/store-records.js';
import { decodedChangesets } from '../support/decoded-changesets.js';
import { decodedDocuments } from '../support/decoded-documents.js';
import { RecordingLogger, useTempDir } from './temp-dir.js';

const tempDir = useTempDir('state-records');
const NOW = 10_000;

/** The records of the realm file at `path` (closed), decoded. */
function recordsOf(path: string): StoreRecord[] {
  const { log, records } = openRecordLog(path, { decode: (payload) => decodeStoreRecord(payload) });
  log.close();
  return records;
}

/** `entries` in a stable order (by type and id, each one's fields by name). */
function sortedEntries(entries: readonly DocumentEntry[]): DocumentEntry[] {
  const key = (d: DocumentEntry): string => JSON.stringify([d.type, d.id]);
  return [...entries].map((d) => ({ ...d, fields: [...d.fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) })).sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

/** The one snapshot the (closed) file at `path` holds, its documents (staged ones too) in a stable order. */
function snapshotOf(path: string): SnapshotRecord {
  const [snapshot, ...rest] = recordsOf(path);
  if (snapshot?.kind !== 'snapshot' || rest.length > 0) throw new Error('the file does not hold one snapshot');
  return { ...snapshot, documents: sortedEntries(snapshot.documents), ...(snapshot.staged === undefined ? {} : { staged: sortedEntries(snapshot.staged) }) };
}

/** The snapshot a compaction of the file at `path` writes, its documents in a stable order. */
function compactedSnapshot(path: string): SnapshotRecord {
  const realm = RealmFile.open({ path, now: () => NOW });
  realm.compact();
  realm.close();
  return snapshotOf(path);
}

/** The ids a listener call named, as `type/id`, sorted. */
const changedIds = (change: RealmChange | undefined): string[] => (change?.changed ?? []).map((k) => `${k.type}/${k.id}`).sort();

const stamp = (wall: number, origin = 'srv', opIndex = 0, counter = 0): [number, number, string, number] => [wall, counter, origin, opIndex];
const bytesOf = (documents: readonly DocumentEntry[]): number => documents.reduce((sum, d) => sum + Buffer.byteLength(JSON.stringify(d), 'utf8'), 0);

describe('integrateState', () => {
  it('merges each document into the file (per field the greater stamp, the greater tombstone), one record, no cursor moved, bytes counted', () => {
    const path = join(tempDir(), 's.realm');
    const realm = RealmFile.open({ path, now: () => NOW });
    realm.write((tx) => {
      tx.put('Task', 't1', { title: 'local, older' });
      tx.put('Task', 't2', { title: 'local, newer' });
      tx.put('Task', 't5', { a: 'hidden by the state tombstone' });
    });
    const changes: RealmChange[] = [];
    realm.addListener((change) => changes.push(change));
    const documents: DocumentEntry[] = [
      { type: 'Task', id: 't1', fields: [['title', 'server, newer', stamp(NOW + 5)]], tombstone: null },
      { type: 'Task', id: 't2', fields: [['title', 'server, older', stamp(NOW - 5)], ['extra', 'é—𝄞', stamp(NOW - 5, 'srv', 1)]], tombstone: null },
      { type: 'Task', id: 't3', fields: [['title', 'only on the server', stamp(3)]], tombstone: null },
      { type: 'Task', id: 't4', fields: [], tombstone: stamp(4) },
      { type: 'Task', id: 't5', fields: [['b', 'after the tombstone', stamp(NOW + 2)]], tombstone: stamp(NOW + 1) },
    ];
    const localView = realm.snapshotDocuments();
    realm.integrateState(decodedDocuments(documents), 5_000);
    // Staged: no reader sees any of it, no listener hears of it; the bytes count, no cursor moved.
    expect(realm.bootstrapping).toBe(true);
    expect(realm.snapshotDocuments()).toEqual(localView);
    expect(realm.objectForPrimaryKey('Task', 't1')).toEqual({ title: 'local, older' });
    expect(realm.objectForPrimaryKey('Task', 't2')).toEqual({ title: 'local, newer' });
    expect(realm.objectForPrimaryKey('Task', 't3')).toBeUndefined();
    expect(realm.objectForPrimaryKey('Task', 't5')).toEqual({ a: 'hidden by the state tombstone' });
    expect(realm.objects('Task').map((o) => o.id)).toEqual(['t1', 't2', 't5']);
    expect(changes).toEqual([]);
    // What is staged is the state as the server sent it, not yet joined with the file's documents.
    const srv = (wall: number, opIndex = 0): Stamp => ({ wall, counter: 0, origin: 'srv', opIndex });
    expect(realm.stagedDocument('Task', 't1')).toEqual({ fields: { title: { value: 'server, newer', stamp: srv(NOW + 5) } } });
    expect(realm.stagedDocument('Task', 't2')).toEqual({ fields: { title: { value: 'server, older', stamp: srv(NOW - 5) }, extra: { value: 'é—𝄞', stamp: srv(NOW - 5, 1) } } });
    expect(realm.stagedDocument('Task', 't3')).toEqual({ fields: { title: { value: 'only on the server', stamp: srv(3) } } });
    expect(realm.stagedDocument('Task', 't4')).toEqual({ fields: {}, tombstone: srv(4) });
    expect(realm.stagedDocument('Task', 't5')).toEqual({ fields: { b: { value: 'after the tombstone', stamp: srv(NOW + 2) } }, tombstone: srv(NOW + 1) });
    expect(realm.stagedDocument('Task', 't6')).toBeUndefined();
    expect(realm.cursors.download).toEqual({ serverVersion: 0, clientVersion: 0 });
    const bytes = bytesOf(documents);
    expect(realm.progress.download).toEqual({ transferred: bytes, transferable: bytes + 5_000 });

    // The same frame again (a batch sent again after a disconnect): nothing changes but the bytes transferred.
    const stagedT2 = realm.stagedDocument('Task', 't2');
    realm.integrateState(decodedDocuments(documents), 4_000);
    expect(changes).toEqual([]);
    expect(realm.stagedDocument('Task', 't2')).toEqual(stagedT2);
    expect(realm.objectForPrimaryKey('Task', 't2')).toEqual({ title: 'local, newer' });
    expect(realm.progress.download).toEqual({ transferred: 2 * bytes, transferable: 2 * bytes + 4_000 });

    // The clock followed the state's stamps already (greatest: t1's, NOW + 5): a local write now is stamped after them.
    realm.write((tx) => tx.put('Other', 'o', { v: 1 }));
    expect(realm.pendingChangesets(1)[0]?.hlc.wall).toBe(NOW + 5); // the physical clock reads NOW
    expect(changes).toEqual([{ origin: 'local', changed: [{ type: 'Other', id: 'o' }] }]);
    expect(realm.bootstrapping).toBe(true);

    // The DOWNLOAD that ends the batch, with no changeset of its own: everything staged merges at once.
    realm.integrateDownload(decodedChangesets([]), { serverVersion: 1, clientVersion: 0 });
    expect(realm.bootstrapping).toBe(false);
    expect(realm.stagedDocument('Task', 't1')).toBeUndefined();
    expect(realm.objectForPrimaryKey('Task', 't1')).toEqual({ title: 'server, newer' });
    expect(realm.objectForPrimaryKey('Task', 't2')).toEqual({ title: 'local, newer', extra: 'é—𝄞' });
    expect(realm.objectForPrimaryKey('Task', 't3')).toEqual({ title: 'only on the server' });
    expect(realm.objectForPrimaryKey('Task', 't4')).toBeUndefined();
    expect(realm.objectForPrimaryKey('Task', 't5')).toEqual({ b: 'after the tombstone' });
    expect(realm.objectForPrimaryKey('Other', 'o')).toEqual({ v: 1 });
    expect(realm.cursors.download).toEqual({ serverVersion: 1, clientVersion: 0 });
    expect(realm.progress.download).toEqual({ transferred: 2 * bytes, transferable: 2 * bytes + 4_000 });
    expect(changes).toHaveLength(2);
    expect(changes[1]?.origin).toBe('remote');
    expect(changedIds(changes[1])).toEqual(['Task/t1', 'Task/t2', 'Task/t3', 'Task/t4', 'Task/t5']);

    // A local write after it wins over the state's stamps.
    realm.write((tx) => tx.put('Task', 't1', { title: 'local, after' }));
    expect(realm.objectForPrimaryKey('Task', 't1')).toEqual({ title: 'local, after' });
    // A late put older than the state's tombstone still loses to it.
    realm.integrateDownload(
      decodedChangesets([{ origin: 'slow', clientVersion: 1, serverVersion: 2, hlc: { wall: 2, counter: 0 }, ops: [{ op: 'put', type: 'Task', id: 't4', fields: { late: true } }] }]),
      { serverVersion: 2, clientVersion: 0 },
    );
    expect(realm.objectForPrimaryKey('Task', 't4')).toBeUndefined();
    realm.close();

    const kinds = recordsOf(path).map((r) => r.kind);
    expect(kinds).toEqual(['header', 'local', 'state', 'state', 'local', 'remote', 'local', 'remote']);

    // Reopened, the records replay to the same: merged at the `remote` record, nothing staged.
    const reopened = RealmFile.open({ path, now: () => NOW });
    expect(reopened.bootstrapping).toBe(false);
    expect(reopened.objects('Task')).toEqual([
      { id: 't1', fields: { title: 'local, after' } },
      { id: 't2', fields: { title: 'local, newer', extra: 'é—𝄞' } },
      { id: 't3', fields: { title: 'only on the server' } },
      { id: 't5', fields: { b: 'after the tombstone' } },
    ]);
    reopened.close();
  });

  it('a frame of no documents only records the bytes left, lazily; one that changes nothing writes nothing', () => {
    const path = join(tempDir(), 'empty.realm');
    const realm = RealmFile.open({ path, now: () => NOW });
    realm.integrateState(decodedDocuments([]), 0);
    realm.write((tx) => tx.put('T', 'a', { v: 1 }));
    const size = statSync(path).size;
    realm.integrateState(decodedDocuments([]), 0);
    expect(statSync(path).size).toBe(size);
    realm.integrateState(decodedDocuments([]), 77);
    expect(realm.progress.download).toEqual({ transferred: 0, transferable: 77 });
    realm.close();
    expect(recordsOf(path).map((r) => r.kind)).toEqual(['header', 'local', 'state']);
  });

  it('refuses what no decoder made: documents that are not an array, bytes that are no count', () => {
    const realm = RealmFile.open({ path: join(tempDir(), 'args.realm') });
    expect(() => realm.integrateState({} as never, 0)).toThrow(/documents must be an array/);
    expect(() => realm.integrateState(decodedDocuments([]), -1)).toThrow(/downloadableBytes -1/);
    expect(() => realm.integrateState(decodedDocuments([]), Number.NaN)).toThrow(/downloadableBytes NaN/);
    realm.close();
    expect(() => realm.integrateState(decodedDocuments([]), 0)).toThrow(/closed/);
  });

  it('replay after reopen equals the live state; compaction keeps the merged documents in its snapshot', () => {
    const dir = tempDir();
    const path = join(dir, 'live.realm');
    const copy = join(dir, 'replayed.realm');
    const records = join(dir, 'records.realm');
    const perFrame = join(dir, 'per-frame.realm');
    const ids = Array.from({ length: 9 }, (_, i) => `d${i}`);
    /** Everything a reader or the sync side can observe, and what is staged. */
    const view = (realm: RealmFile): unknown => ({
      documents: realm.snapshotDocuments(),
      progress: realm.progress,
      cursors: realm.cursors,
      bootstrapping: realm.bootstrapping,
      staged: ids.map((id) => realm.stagedDocument('Doc', id)),
    });
    const realm = RealmFile.open({ path, now: () => NOW });
    // The same frames and writes, each frame confirmed by its own DOWNLOAD at once: what staging them all must come to.
    const oracle = RealmFile.open({ path: perFrame, now: () => NOW });
    for (let frame = 0; frame < 20; frame++) {
      for (const r of [realm, oracle]) {
        if (frame % 3 === 0) r.write((tx) => tx.put('Doc', `d${frame % 7}`, { local: frame }));
        if (frame % 5 === 4) r.write((tx) => tx.delete('Doc', `d${frame % 6}`));
      }
      const documents: DocumentEntry[] = Array.from({ length: 6 }, (_, i) => ({
        type: 'Doc',
        id: `d${(frame + i) % 9}`,
        fields: [
          ['server', frame * 10 + i, stamp(NOW - 100 + frame, 'srv', i)],
          ['__proto__', { frame }, stamp(NOW + frame, 'peer', i)],
        ],
        tombstone: i === 5 ? stamp(NOW - 100 + frame, 'srv', 9) : null,
      }));
      realm.integrateState(decodedDocuments(documents), 1_000 - frame);
      oracle.integrateState(decodedDocuments(documents), 1_000 - frame);
      oracle.integrateDownload(decodedChangesets([]), { serverVersion: frame + 1, clientVersion: 0 });
    }
    // All 20 frames staged: the readers see the local writes only.
    expect(realm.bootstrapping).toBe(true);
    expect(ids.every((id) => realm.stagedDocument('Doc', id) !== undefined)).toBe(true);
    expect(realm.objects('Doc').length).toBeGreaterThan(0);
    expect(realm.objects('Doc').every((o) => Object.keys(o.fields).join() === 'local')).toBe(true);
    const staged = view(realm);
    // Copies of the records as they are: reopened, they replay them.
    copyFileSync(path, copy);
    copyFileSync(path, records);
    realm.compact(); // the live state, staged documents included, written out
    realm.close();

    // Compacted while staged: the snapshot keeps the staged documents apart, under `staged`.
    const stagedSnapshot = snapshotOf(path);
    expect(stagedSnapshot.staged?.map((d) => d.id)).toEqual(ids);
    expect(stagedSnapshot.documents.every((d) => d.fields.every(([name]) => name === 'local'))).toBe(true);
    // Reopened, from that snapshot and from the records, the file still waits with the same staged documents.
    for (const file of [path, copy]) {
      const reopened = RealmFile.open({ path: file, now: () => NOW });
      expect(view(reopened)).toEqual(staged);
      reopened.close();
    }
    expect(compactedSnapshot(copy)).toEqual(compactedSnapshot(path));

    // The confirming DOWNLOAD shows them all at once, one listener call naming every document: restored from
    // the snapshot's `staged` or replayed from the records alike.
    let confirmed: unknown;
    for (const file of [path, records]) {
      const reopened = RealmFile.open({ path: file, now: () => NOW });
      const changes: RealmChange[] = [];
      reopened.addListener((change) => changes.push(change));
      reopened.integrateDownload(decodedChangesets([]), { serverVersion: 20, clientVersion: 0 });
      expect(reopened.bootstrapping).toBe(false);
      expect(changes).toHaveLength(1);
      expect(changes[0]?.origin).toBe('remote');
      expect(changedIds(changes[0])).toEqual(ids.map((id) => `Doc/${id}`));
      // Per field the greater stamp, the greater tombstone: as if each frame had been merged as it came.
      expect(reopened.snapshotDocuments()).toEqual(oracle.snapshotDocuments());
      expect(reopened.progress).toEqual(oracle.progress);
      confirmed ??= view(reopened);
      expect(view(reopened)).toEqual(confirmed);
      reopened.close();
    }
    oracle.close();

    // After confirmation: compaction keeps the merged documents, and nothing staged.
    const live = compactedSnapshot(path);
    const replayed = compactedSnapshot(records);
    expect(replayed).toEqual(live);
    expect(live.documents.length).toBe(9);
    expect(live.staged).toBeUndefined();
    for (const file of [path, records]) {
      const reopened = RealmFile.open({ path: file, now: () => NOW });
      expect(view(reopened)).toEqual(confirmed);
      reopened.close();
    }
  });

  it('a client reset of a file holding state records starts over, and the fresh state is merged again', () => {
    const path = join(tempDir(), 'reset.realm');
    const realm = RealmFile.open({ path, now: () => NOW });
    realm.setEpoch('old');
    realm.integrateState(decodedDocuments([{ type: 'T', id: 'server', fields: [['v', 1, stamp(5)]], tombstone: null }]), 0);
    expect(realm.bootstrapping).toBe(true);
    expect(realm.stagedDocument('T', 'server')?.fields['v']?.value).toBe(1);
    expect(realm.objectForPrimaryKey('T', 'server')).toBeUndefined();
    realm.write((tx) => tx.put('T', 'mine', { v: 2 }));
    const result = realm.resetForClientReset('recover');
    expect(result.unsyncedChangesets).toBe(1);
    // The reset dropped the staged bootstrap of the old history along with its documents.
    expect(realm.bootstrapping).toBe(false);
    expect(realm.stagedDocument('T', 'server')).toBeUndefined();
    expect(realm.objectForPrimaryKey('T', 'server')).toBeUndefined();
    expect(realm.objectForPrimaryKey('T', 'mine')).toEqual({ v: 2 });
    realm.integrateState(decodedDocuments([{ type: 'T', id: 'server', fields: [['v', 3, stamp(6)]], tombstone: null }]), 0);
    expect(realm.objectForPrimaryKey('T', 'server')).toBeUndefined();
    realm.close();
    const reopened = RealmFile.open({ path, now: () => NOW });
    // The fresh state waits, staged, through the reopen: only the fresh one (v 3), nothing of the old.
    expect(reopened.bootstrapping).toBe(true);
    expect(reopened.stagedDocument('T', 'server')?.fields['v']).toEqual({ value: 3, stamp: { wall: 6, counter: 0, origin: 'srv', opIndex: 0 } });
    expect(reopened.objects('T')).toEqual([{ id: 'mine', fields: { v: 2 } }]);
    const changes: RealmChange[] = [];
    reopened.addListener((change) => changes.push(change));
    reopened.integrateDownload(decodedChangesets([]), { serverVersion: 1, clientVersion: 0 });
    expect(changes).toHaveLength(1);
    expect(changes[0]?.origin).toBe('remote');
    expect(changedIds(changes[0])).toEqual(['T/server']);
    const merged = [
      { id: 'mine', fields: { v: 2 } },
      { id: 'server', fields: { v: 3 } },
    ];
    expect(reopened.objects('T')).toEqual(merged);
    reopened.close();
    const again = RealmFile.open({ path, now: () => NOW });
    expect(again.bootstrapping).toBe(false);
    expect(again.objects('T')).toEqual(merged);
    again.close();
  });

  it('a new epoch discards a staged bootstrap; the same epoch keeps it', () => {
    const path = join(tempDir(), 'epoch.realm');
    const a: DocumentEntry = { type: 'T', id: 'a', fields: [['v', 'of e1', stamp(5)]], tombstone: null };
    const b: DocumentEntry = { type: 'T', id: 'b', fields: [['v', 'of e2', stamp(6)]], tombstone: null };
    const realm = RealmFile.open({ path, now: () => NOW });
    realm.setEpoch('e1');
    realm.write((tx) => tx.put('T', 'mine', { v: 0 }));
    realm.integrateState(decodedDocuments([a]), 0);
    const transferred = realm.progress.download.transferred;
    expect(transferred).toBe(bytesOf([a]));
    // The same epoch again (a reconnect to the same history): the bootstrap keeps waiting, here and after a reopen.
    realm.setEpoch('e1');
    expect(realm.bootstrapping).toBe(true);
    expect(realm.stagedDocument('T', 'a')?.fields['v']?.value).toBe('of e1');
    realm.close();
    const sameEpoch = RealmFile.open({ path, now: () => NOW });
    expect(sameEpoch.cursors.epoch).toBe('e1');
    expect(sameEpoch.bootstrapping).toBe(true);
    expect(sameEpoch.stagedDocument('T', 'a')?.fields['v']?.value).toBe('of e1');
    sameEpoch.setEpoch('e1');
    expect(sameEpoch.bootstrapping).toBe(true);

    // A new epoch: the staged documents belong to a replaced history, gone; the bytes stay counted.
    const changes: RealmChange[] = [];
    sameEpoch.addListener((change) => changes.push(change));
    sameEpoch.setEpoch('e2');
    expect(sameEpoch.bootstrapping).toBe(false);
    expect(sameEpoch.stagedDocument('T', 'a')).toBeUndefined();
    expect(sameEpoch.progress.download.transferred).toBe(transferred);
    // A confirming DOWNLOAD then shows nothing of them.
    sameEpoch.integrateDownload(decodedChangesets([]), { serverVersion: 1, clientVersion: 0 });
    expect(sameEpoch.objects('T')).toEqual([{ id: 'mine', fields: { v: 0 } }]);
    expect(changes).toEqual([]);
    sameEpoch.close();
    const newEpoch = RealmFile.open({ path, now: () => NOW });
    expect(newEpoch.cursors.epoch).toBe('e2');
    expect(newEpoch.bootstrapping).toBe(false);
    expect(newEpoch.stagedDocument('T', 'a')).toBeUndefined();
    expect(newEpoch.objects('T')).toEqual([{ id: 'mine', fields: { v: 0 } }]);

    // A bootstrap of the new epoch is staged as any; replayed, the epoch record discards only the one before it.
    newEpoch.integrateState(decodedDocuments([b]), 0);
    newEpoch.close();
    expect(recordsOf(path).map((r) => r.kind)).toEqual(['header', 'epoch', 'local', 'state', 'epoch', 'remote', 'state']);
    const replayed = RealmFile.open({ path, now: () => NOW });
    expect(replayed.bootstrapping).toBe(true);
    expect(replayed.stagedDocument('T', 'a')).toBeUndefined();
    expect(replayed.stagedDocument('T', 'b')?.fields['v']?.value).toBe('of e2');
    replayed.integrateDownload(decodedChangesets([]), { serverVersion: 2, clientVersion: 0 });
    expect(replayed.objects('T')).toEqual([
      { id: 'b', fields: { v: 'of e2' } },
      { id: 'mine', fields: { v: 0 } },
    ]);
    replayed.close();
  });
});

describe('state records in the file: hostile content', () => {
  /** Appends `values` as whole, checksummed records (what a forger with write access could do). */
  const forge = (path: string, values: readonly unknown[]): void => {
    appendFileSync(path, encodeRecords(values.map((v) => Buffer.from(JSON.stringify(v), 'utf8'))));
  };
  const good = (id: string): unknown => ({ kind: 'state', documents: [{ type: 'T', id, fields: [['v', id, [1, 0, 'o', 0]]], tombstone: null }], receivedBytes: 10, downloadableBytes: 0, hlc: { wall: 1, counter: 0 } });

  it('refuses each forged record alone (reported in openReport), keeps those after it, and reads __proto__ names as data', () => {
    const path = join(tempDir(), 'forged.realm');
    const realm = RealmFile.open({ path });
    realm.write((tx) => tx.put('T', 'before', { v: 0 }));
    realm.close();
    const forged: ReadonlyArray<readonly [string, unknown]> = [
      ['a negative wall', { ...(good('x') as object), documents: [{ type: 'T', id: 'x', fields: [['v', 1, [-1, 0, 'o', 0]]], tombstone: null }] }],
      ['a stamp of three parts', { ...(good('x') as object), documents: [{ type: 'T', id: 'x', fields: [], tombstone: [1, 0, 'o'] }] }],
      ['documents as an object', { ...(good('x') as object), documents: { T: 'x' } }],
      ['an empty type', { ...(good('x') as object), documents: [{ type: '', id: 'x', fields: [], tombstone: null }] }],
      ['negative bytes', { ...(good('x') as object), receivedBytes: -5 }],
      ['an unsafe clock reading', { ...(good('x') as object), hlc: { wall: 2 ** 53, counter: 0 } }],
      ['no clock reading', { kind: 'state', documents: [], receivedBytes: 0, downloadableBytes: 0 }],
    ];
    forge(path, [...forged.map(([, value]) => value), good('after-1'), { kind: 'state', documents: [{ type: '__proto__', id: '__proto__', fields: [['__proto__', { polluted: true }, [2, 0, 'o', 0]]], tombstone: null }], receivedBytes: 1, downloadableBytes: 0, hlc: { wall: 2, counter: 0 } }, good('after-2')]);
    const logger = new RecordingLogger();
    const reopened = RealmFile.open({ path, logger });
    expect(reopened.openReport.refusedRecords).toHaveLength(forged.length);
    expect(reopened.openReport.refusedRecords.every((r) => /^state record: /.test(r.reason))).toBe(true);
    console.log(`forged state records: ${forged.map(([what], i) => `${what}: ${reopened.openReport.refusedRecords[i]?.reason}`).join('; ')}`);
    // The kept state records are staged: none of them visible yet, none of the refused ones staged.
    expect(reopened.bootstrapping).toBe(true);
    expect(reopened.objects('T').map((o) => o.id)).toEqual(['before']);
    expect(reopened.objects('__proto__')).toEqual([]);
    expect(reopened.stagedDocument('T', 'after-1')?.fields['v']?.value).toBe('after-1');
    expect(reopened.stagedDocument('T', 'after-2')?.fields['v']?.value).toBe('after-2');
    expect(reopened.stagedDocument('T', 'x')).toBeUndefined();
    expect(Object.keys(reopened.stagedDocument('__proto__', '__proto__')?.fields ?? {})).toEqual(['__proto__']);
    expect(reopened.progress.download.transferred).toBe(21);
    // The DOWNLOAD ending the batch shows them, once, all together.
    const changes: RealmChange[] = [];
    reopened.addListener((change) => changes.push(change));
    reopened.integrateDownload(decodedChangesets([]), { serverVersion: 1, clientVersion: 0 });
    expect(changes).toHaveLength(1);
    expect(changes[0]?.origin).toBe('remote');
    expect(changedIds(changes[0])).toEqual(['T/after-1', 'T/after-2', '__proto__/__proto__']);
    expect(reopened.objects('T').map((o) => o.id)).toEqual(['after-1', 'after-2', 'before']);
    expect(reopened.objectForPrimaryKey('T', 'x')).toBeUndefined();
    expect(reopened.objectForPrimaryKey('__proto__', '__proto__')).toEqual({ ['__proto__']: { polluted: true } });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(reopened.progress.download.transferred).toBe(21);
    reopened.close();
  });

  it('decodeStoreRecord refuses a state record a reader must not take, and storeRecordProblem one with a clock beyond its bounds', () => {
    const decode = (value: unknown) => decodeStoreRecord(Buffer.from(JSON.stringify(value), 'utf8'));
    expect(E.isRight(decode(good('a')))).toBe(true);
    expect(decode({ ...(good('a') as object), documents: [{ type: 'T', id: 'a', fields: [['v', 1, [1, 0, 'o', 0.5]]], tombstone: null }] })).toMatchObject({
      _tag: 'Left',
      left: expect.stringMatching(/documents\.0\.fields\.0\.2\.3: expected Nat/) as unknown,
    });
    expect(storeRecordProblem({ kind: 'state', documents: [], receivedBytes: 0, downloadableBytes: 0, hlc: { wall: 1, counter: 2 ** 32 } })).toMatch(/beyond the clock's bounds/);
  });
});
