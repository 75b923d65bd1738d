/**
 * Tombstones the server forgot are forgotten by compaction too (`RealmFile.retainTombstones`,
 * the server's `historyRetentionMs`): one stamped longer ago than the retention that the server
 * has (it came in a download or a state frame, or its changeset was acknowledged) leaves the
 * snapshot, its document with it when no field is left; a recent one, or a local delete not
 * acknowledged yet, stays; with no retention announced every tombstone stays.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RealmFile } from '../../src/store/realm-file.js';
import { openRecordLog } from '../../src/store/record-log.js';
import { decodeStoreRecord, type DocumentEntry } from '../../src/store/store-records.js';
import { decodedChangesets } from '../support/decoded-changesets.js';
import { decodedDocuments } from '../support/decoded-documents.js';
import { useTempDir } from './temp-dir.js';

const tempDir = useTempDir('tombstone-retention');
const RETENTION = 1_000;
const LATER = 1_000_000;

/** The documents of the one snapshot the (closed) file at `path` holds, by id. */
function snapshotDocuments(path: string): Record<string, DocumentEntry> {
  const { log, records } = openRecordLog(path, { decode: (payload) => decodeStoreRecord(payload) });
  log.close();
  const [snapshot] = records;
  if (records.length !== 1 || snapshot?.kind !== 'snapshot') throw new Error('not one snapshot');
  return Object.fromEntries(snapshot.documents.map((d) => [d.id, d]));
}

/** A file at `path` whose clock reads `clock.now`, holding old and recent tombstones from the server. */
function fileWithServerTombstones(path: string, clock: { now: number }): RealmFile {
  const realm = RealmFile.open({ path, now: () => clock.now });
  realm.integrateState(
    decodedDocuments([
      { type: 'T', id: 'old-gone', fields: [], tombstone: [5, 0, 'srv', 0] },
      { type: 'T', id: 'old-revived', fields: [['v', 'after', [7, 0, 'srv', 1]]], tombstone: [6, 0, 'srv', 0] },
      { type: 'T', id: 'recent', fields: [], tombstone: [LATER - 10, 0, 'srv', 0] },
    ]),
    0,
  );
  // The DOWNLOAD ending the state batch: the staged state's tombstones become the file's, and it brings one more of its own.
  realm.integrateDownload(
    decodedChangesets([{ origin: 'peer', clientVersion: 1, serverVersion: 1, hlc: { wall: 8, counter: 0 }, ops: [{ op: 'delete', type: 'T', id: 'old-downloaded' }] }]),
    { serverVersion: 1, clientVersion: 0 },
  );
  return realm;
}

describe('tombstone retention at compaction', () => {
  it('with no retention announced, every tombstone stays', () => {
    const path = join(tempDir(), 'keep.realm');
    const clock = { now: 100 };
    const realm = fileWithServerTombstones(path, clock);
    clock.now = LATER;
    realm.retainTombstones(undefined);
    realm.compact();
    realm.close();
    const docs = snapshotDocuments(path);
    expect(Object.keys(docs).sort()).toEqual(['old-downloaded', 'old-gone', 'old-revived', 'recent']);
    expect(docs['old-revived']?.tombstone).toEqual([6, 0, 'srv', 0]);
  });

  it('drops those older than the retention that came from the server, and a document left with no field; keeps recent ones', () => {
    const path = join(tempDir(), 'drop.realm');
    const clock = { now: 100 };
    const realm = fileWithServerTombstones(path, clock);
    clock.now = LATER;
    realm.retainTombstones(RETENTION);
    const visible = realm.snapshotDocuments();
    realm.compact();
    expect(realm.snapshotDocuments()).toEqual(visible);
    realm.close();
    const docs = snapshotDocuments(path);
    expect(Object.keys(docs).sort()).toEqual(['old-revived', 'recent']);
    expect(docs['old-revived']).toEqual({ type: 'T', id: 'old-revived', fields: [['v', 'after', [7, 0, 'srv', 1]]], tombstone: null });
    expect(docs['recent']?.tombstone).toEqual([LATER - 10, 0, 'srv', 0]);

    // The live state forgot them as the file did: compacting again changes nothing, and a reopen reads the same.
    const reopened = RealmFile.open({ path, now: () => LATER });
    expect(reopened.snapshotDocuments()).toEqual(visible);
    reopened.compact();
    reopened.close();
    expect(snapshotDocuments(path)).toEqual(docs);
  });

  it("keeps the file's own old delete until the server acknowledged it, then drops it", () => {
    const path = join(tempDir(), 'own.realm');
    const clock = { now: 100 };
    const realm = RealmFile.open({ path, now: () => clock.now });
    realm.write((tx) => tx.put('T', 'mine', { v: 1 }));
    realm.write((tx) => tx.delete('T', 'mine'));
    clock.now = 200;
    realm.write((tx) => tx.delete('T', 'mine-later'));
    clock.now = LATER;
    realm.retainTombstones(RETENTION);
    realm.compact();
    realm.acknowledgeUpload(1);
    realm.compact();
    realm.close();
    // Changeset 2 (the delete of `mine`) is pending: kept, as is that of changeset 3.
    expect(Object.keys(snapshotDocuments(path)).sort()).toEqual(['mine', 'mine-later']);

    const reopened = RealmFile.open({ path, now: () => LATER });
    reopened.retainTombstones(RETENTION);
    reopened.acknowledgeUpload(2);
    reopened.compact();
    reopened.close();
    // 2 acknowledged, 3 not: only the later delete stays.
    expect(Object.keys(snapshotDocuments(path))).toEqual(['mine-later']);
  });

  it('a recent tombstone, kept through retention, still hides an older put that arrives after the compaction', () => {
    const path = join(tempDir(), 'late.realm');
    const clock = { now: 100 };
    const realm = fileWithServerTombstones(path, clock);
    clock.now = LATER;
    realm.retainTombstones(RETENTION);
    realm.compact();
    realm.integrateDownload(
      decodedChangesets([{ origin: 'slow', clientVersion: 1, serverVersion: 2, hlc: { wall: LATER - 20, counter: 0 }, ops: [{ op: 'put', type: 'T', id: 'recent', fields: { late: true } }] }]),
      { serverVersion: 2, clientVersion: 0 },
    );
    expect(realm.objectForPrimaryKey('T', 'recent')).toBeUndefined();
    realm.close();
  });

  it('refuses a retention that is no positive duration', () => {
    const realm = RealmFile.open({ path: join(tempDir(), 'bad.realm') });
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1000']) expect(() => realm.retainTombstones(bad as number), String(bad)).toThrow(/not a positive duration/);
    realm.close();
  });
});
