import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPACTION_MIN_FILE_BYTES, CompactionPolicy, DEFAULT_COMPACTION_FACTOR } from '../../src/store/compaction.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { openRecordLog } from '../../src/store/record-log.js';
import { decodeStoreRecord } from '../../src/store/store-records.js';
import { RecordingLogger, useTempDir } from './temp-dir.js';
import { decodedChangesets } from '../support/decoded-changesets.js';

const tempDir = useTempDir('compaction');

/** Everything observable about a realm, for before/after comparisons. */
const observe = (realm: RealmFile) => ({
  ident: realm.fileIdent,
  version: realm.clientVersion,
  cursors: realm.cursors,
  progress: realm.progress,
  docs: realm.objects('Doc'),
  gone: realm.objectForPrimaryKey('Doc', 'deleted'),
  pending: realm.pendingChangesets(0),
});

const compactions = (logger: RecordingLogger) => logger.entries.filter((e) => e.message === 'compacted realm file');

describe('compaction policy', () => {
  it('compacts only files over 64 KiB that are more than factor × the snapshot', () => {
    const policy = new CompactionPolicy();
    expect(policy.factor).toBe(DEFAULT_COMPACTION_FACTOR);
    expect(policy.shouldCompact(COMPACTION_MIN_FILE_BYTES, 1)).toBe(false);
    expect(policy.shouldCompact(COMPACTION_MIN_FILE_BYTES + 1, 1_000)).toBe(true);
    expect(policy.shouldCompact(1_000_000, 250_000)).toBe(false);
    expect(policy.shouldCompact(1_000_001, 250_000)).toBe(true);
  });

  it('calibrates the estimate against the real snapshot size, within bounds', () => {
    const policy = new CompactionPolicy(2);
    policy.calibrate(100_000, 200_000); // the estimate was half the truth
    expect(policy.shouldCompact(300_000, 100_000)).toBe(false);
    expect(policy.shouldCompact(400_001, 100_000)).toBe(true);
    policy.calibrate(1, 1_000_000); // absurd ratios are clamped at 4
    expect(policy.shouldCompact(800_001, 100_000)).toBe(true);
  });
});

describe('realm file compaction', () => {
  it('triggers on its own, keeps documents, tombstones, cursors, counters and unacknowledged changesets, and reopens', () => {
    const file = join(tempDir(), 'c.realm');
    const logger = new RecordingLogger();
    const realm = RealmFile.open({ path: file, logger, now: () => 1_000 });
    realm.setEpoch('e-7');
    realm.write((tx) => tx.put('Doc', 'deleted', { v: 0 }));
    realm.write((tx) => tx.delete('Doc', 'deleted'));
    let maxSize = 0;
    for (let i = 1; i <= 1_500; i++) {
      realm.write((tx) => {
        tx.put('Doc', `d${i % 10}`, { i, text: 'x'.repeat(100), nested: { list: [i, i + 1] } });
        if (i % 3 === 0) tx.put('Doc', `e${i % 7}`, { i });
      });
      if (i % 100 === 0) {
        realm.integrateDownload(
          decodedChangesets([{ origin: 'peer', clientVersion: i / 100, serverVersion: i / 100, hlc: { wall: 500, counter: i }, ops: [{ op: 'put', type: 'Doc', id: 'peer', fields: { i } }] }]),
          { serverVersion: i / 100, clientVersion: realm.clientVersion - 5 },
          i,
        );
        realm.acknowledgeUpload(realm.clientVersion - 5); // the last five stay unacknowledged
      }
      maxSize = Math.max(maxSize, fs.statSync(file).size);
    }
    const found = compactions(logger);
    expect(found.length).toBeGreaterThanOrEqual(2);
    const size = fs.statSync(file).size;
    // Bounded by factor × live state (plus the floor), where 1,500 uncompacted commits would be ~400 KB.
    expect(maxSize).toBeLessThan(250_000);
    const before = observe(realm);
    expect(before.pending.map((c) => c.clientVersion)).toEqual([1498, 1499, 1500, 1501, 1502]);
    expect(before.docs).toHaveLength(18);
    expect(before.gone).toBeUndefined();
    console.log(
      `compaction: ${found.length} automatic rewrites over 1,500 commits; largest file ${maxSize} bytes; ` +
        `after each: ${found.map((e) => `${String(e.details?.bytesBefore)}→${String(e.details?.bytesAfter)} (estimate ${String(e.details?.estimatedSnapshotBytes)})`).join(', ')}`,
    );
    // The running estimate stays close to the snapshots actually written.
    for (const entry of found) {
      const ratio = Number(entry.details?.bytesAfter) / Number(entry.details?.estimatedSnapshotBytes);
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    }
    realm.close();

    const reopened = RealmFile.open({ path: file, logger, now: () => 1_000 });
    expect(observe(reopened)).toEqual(before);
    expect(fs.statSync(file).size).toBe(size);
    // A late remote put older than the tombstone must still lose: the tombstone survived compaction.
    reopened.integrateDownload(
      decodedChangesets([{ origin: 'slow', clientVersion: 1, serverVersion: 16, hlc: { wall: 1, counter: 0 }, ops: [{ op: 'put', type: 'Doc', id: 'deleted', fields: { v: 'late' } }] }]),
      { serverVersion: 16, clientVersion: 1497 },
    );
    expect(reopened.objectForPrimaryKey('Doc', 'deleted')).toBeUndefined();
    reopened.write((tx) => tx.put('Doc', 'after', { ok: true }));
    reopened.acknowledgeUpload(1503);
    reopened.close();

    const again = RealmFile.open({ path: file });
    expect(again.objectForPrimaryKey('Doc', 'after')).toEqual({ ok: true });
    expect(again.pendingChangesets(0)).toEqual([]);
    expect(again.progress.upload.transferred).toBe(again.progress.upload.transferable);
    again.close();
  });

  it('compact() writes one snapshot record holding the unacknowledged changesets', () => {
    const file = join(tempDir(), 'c.realm');
    const realm = RealmFile.open({ path: file });
    for (let i = 0; i < 5; i++) realm.write((tx) => tx.put('Doc', `${i}`, { i }));
    realm.acknowledgeUpload(3);
    const before = observe(realm);
    realm.compact();
    expect(observe(realm)).toEqual(before);
    realm.close();
    const { log, records } = openRecordLog(file);
    log.close();
    expect(records).toHaveLength(1);
    const record = decodeStoreRecord(records[0]!);
    expect(record._tag === 'Right' && record.right.kind === 'snapshot' ? record.right.pending.map((p) => p.changeset.clientVersion) : []).toEqual([4, 5]);
    const reopened = RealmFile.open({ path: file });
    expect(observe(reopened)).toEqual(before);
    reopened.close();
  });

  it('a small file is never compacted, whatever the ratio', () => {
    const logger = new RecordingLogger();
    const realm = RealmFile.open({ path: join(tempDir(), 'c.realm'), logger, compactionFactor: 1.01 });
    for (let i = 0; i < 100; i++) realm.write((tx) => tx.put('Doc', 'same', { i }));
    realm.acknowledgeUpload(100);
    expect(compactions(logger)).toEqual([]);
    realm.close();
  });

  it("works with 'batched' durability: flushes waiting across a compaction resolve and listeners still hear", async () => {
    const file = join(tempDir(), 'c.realm');
    const logger = new RecordingLogger();
    const realm = RealmFile.open({ path: file, logger, durability: 'batched', compactionFactor: 2 });
    let heard = 0;
    realm.addListener(() => heard++);
    for (let i = 1; i <= 600; i++) {
      realm.write((tx) => tx.put('Doc', 'one', { i, pad: 'p'.repeat(200) }));
      if (i % 50 === 0) {
        await realm.flush();
        realm.acknowledgeUpload(i);
      }
    }
    await realm.flush();
    expect(heard).toBe(600);
    expect(compactions(logger).length).toBeGreaterThan(0);
    realm.close();
    const reopened = RealmFile.open({ path: file });
    expect(reopened.objectForPrimaryKey('Doc', 'one')).toMatchObject({ i: 600 });
    reopened.close();
  });
});
