/**
 * A whole, checksummed record whose content is refused is not a torn tail: it is left out and
 * reported, and every record after it is kept. The fixture `poisoned-stamp.realm` was written
 * by this project's realm file before the HLC had bounds (`durability: 'full'`): two commits, a
 * DOWNLOAD of a hostile changeset stamped { wall: 2^53 − 1, counter: 2^53 − 1 } (its record's
 * clock reading, counter 2^53, no codec accepts), then 20 commits stamped with counter 2^53
 * too. Read by the code of that time, the file was cut at the download: 20 of 20 commits gone.
 */
import { appendFileSync, copyFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { compareHlc, isBoundedHlc } from '../../src/store/hlc.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { encodeRecords } from '../../src/store/record-framing.js';
import { openRecordLog } from '../../src/store/record-log.js';
import { RecordingLogger, useTempDir } from './temp-dir.js';

const tempDir = useTempDir('refused-record');
const FIXTURE = new URL('./fixtures/poisoned-stamp.realm', import.meta.url);
const AFTER = Array.from({ length: 20 }, (_, i) => `after-${i + 1}`);

function poisonedCopy(): string {
  const path = join(tempDir(), 'poisoned.realm');
  copyFileSync(FIXTURE, path);
  return path;
}

describe('realm file: a whole record whose content is refused is left out, not cut', () => {
  it('the poisoned file from before the fix reopens with all 20 later commits; the refused download is reported', () => {
    const path = poisonedCopy();
    const size = statSync(path).size;
    const logger = new RecordingLogger();
    const realm = RealmFile.open({ path, logger });
    try {
      const ids = realm.objects('Task').map((o) => o.id);
      const kept = AFTER.filter((id) => ids.includes(id)).length;
      console.log(`poisoned realm file: ${kept} of ${AFTER.length} commits after the refused record kept; refused ${String(realm.openReport?.refusedRecords.length)}, restamped ${String(realm.openReport?.restampedChangesets)}`);
      expect(kept).toBe(20);
      expect(ids).not.toContain('hostile');
      expect(realm.clientVersion).toBe(22);
      expect(realm.openReport.truncatedBytes).toBe(0);
      expect(realm.openReport.refusedRecords).toHaveLength(1);
      expect(realm.openReport.refusedRecords[0]).toMatchObject({ index: 3 });
      expect(realm.openReport.refusedRecords[0]!.reason).toContain('hlc.counter');
      expect(realm.openReport.restampedChangesets).toBe(20);
      expect(logger.warnings.map((w) => w.message)).toEqual([
        'record log: a whole record was refused; left it out and read on',
        'realm file: local changesets stamped past the safe integers (before the HLC had bounds) were read with new stamps',
      ]);
      // Nothing was cut from the file, and the 22 commits wait for upload with stamps in range, in order.
      expect(statSync(path).size).toBe(size);
      const pending = realm.pendingChangesets(0);
      expect(pending.map((c) => c.clientVersion)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
      expect(pending.every((c) => isBoundedHlc(c.hlc))).toBe(true);
      for (let i = 1; i < pending.length; i++) expect(compareHlc(pending[i]!.hlc, pending[i - 1]!.hlc)).toBeGreaterThan(0);
      // The download cursor stays before the refused DOWNLOAD: the server sends it again.
      expect(realm.cursors.download).toEqual({ serverVersion: 0, clientVersion: 0 });
      realm.write((tx) => tx.put('Task', 'after-fix', { n: 21 }));
    } finally {
      realm.close();
    }

    // Reopened again: the same stamps (restamping is deterministic), the new commit kept too.
    const again = RealmFile.open({ path });
    try {
      expect(again.clientVersion).toBe(23);
      expect(again.objects('Task').map((o) => o.id)).toContain('after-fix');
      expect(again.openReport.refusedRecords).toHaveLength(1);
      // Compaction rewrites the file without the refused record: the next open finds nothing to report.
      again.compact();
    } finally {
      again.close();
    }
    const compacted = RealmFile.open({ path });
    try {
      expect(compacted.openReport).toEqual({ truncatedBytes: 0, refusedRecords: [], restampedChangesets: 0 });
      expect(compacted.objects('Task')).toHaveLength(23);
    } finally {
      compacted.close();
    }
  });

  it('a refused record followed by 20 full-durability commits of this code: reopen keeps all 20; a torn tail after them is still cut', () => {
    const path = join(tempDir(), 'fresh.realm');
    const realm = RealmFile.open({ path, durability: 'full' });
    realm.write((tx) => tx.put('Task', 'before', { n: 0 }));
    realm.close();
    // What the realm file of before the fix appended after a hostile DOWNLOAD: whole, checksummed, unreadable.
    const poisoned = Buffer.from(
      JSON.stringify({ kind: 'remote', changesets: [], cursor: { serverVersion: 1, clientVersion: 0 }, receivedBytes: 173, downloadableBytes: 0, hlc: { wall: 2 ** 53 - 1, counter: 2 ** 53 } }),
      'utf8',
    );
    appendFileSync(path, encodeRecords([poisoned]));
    const writer = RealmFile.open({ path, durability: 'full' });
    expect(writer.openReport.refusedRecords).toHaveLength(1);
    for (const id of AFTER) writer.write((tx) => tx.put('Task', id, { id }));
    writer.close();
    // A torn last record (a crash mid-append) is cut as before.
    const whole = statSync(path).size;
    appendFileSync(path, encodeRecords([Buffer.from('{"kind":"epoch","epoch":"torn"}')]).subarray(0, 12));

    const logger = new RecordingLogger();
    const reopened = RealmFile.open({ path, logger });
    try {
      const ids = reopened.objects('Task').map((o) => o.id);
      expect(AFTER.filter((id) => ids.includes(id))).toHaveLength(20);
      expect(reopened.openReport.refusedRecords).toHaveLength(1);
      expect(reopened.openReport.truncatedBytes).toBe(12);
      expect(statSync(path).size).toBe(whole);
      expect(logger.warnings.map((w) => w.message)).toContain('record log tail was torn or corrupt; cut it at the last whole record');
    } finally {
      reopened.close();
    }
  });
});

describe("record log: refusedRecords 'skip' against the default 'cut'", () => {
  it('a decoder refusing a middle record: skip keeps the records after it, cut ends the log there', () => {
    const path = join(tempDir(), 'plain.log');
    const { log } = openRecordLog(path);
    log.append(['a', 'bad', 'c', 'd'].map((p) => Buffer.from(p)));
    log.close();
    const decode = (payload: Buffer) => (payload.toString() === 'bad' ? E.left('refused') : E.right(payload.toString()));
    const skipped = openRecordLog(path, { decode, refusedRecords: 'skip' });
    expect(skipped.records).toEqual(['a', 'c', 'd']);
    expect(skipped.refused).toEqual([{ index: 1, offset: 8 + 9, bytes: 3, reason: 'refused' }]);
    expect(skipped.recovered.truncatedBytes).toBe(0);
    skipped.log.close();
    const before = readFileSync(path);
    const cut = openRecordLog(path, { decode });
    expect(cut.records).toEqual(['a']);
    expect(cut.refused).toEqual([]);
    expect(cut.recovered.truncatedBytes).toBe(before.length - (8 + 9));
    cut.log.close();
  });

  it('many refused records: each is in `refused`, the logger hears of the first ten and a count', () => {
    const path = join(tempDir(), 'many.log');
    const { log } = openRecordLog(path);
    log.append(Array.from({ length: 30 }, (_, i) => Buffer.from(i % 6 === 0 ? `ok${i}` : `bad${i}`)));
    log.close();
    const logger = new RecordingLogger();
    const opened = openRecordLog(path, { logger, refusedRecords: 'skip', decode: (p: Buffer) => (p.toString().startsWith('ok') ? E.right(p.toString()) : E.left('refused')) });
    expect(opened.records).toEqual(['ok0', 'ok6', 'ok12', 'ok18', 'ok24']);
    expect(opened.refused).toHaveLength(25);
    expect(logger.warnings).toHaveLength(11);
    expect(logger.warnings.at(-1)?.details).toMatchObject({ refused: 25, notWarnedOf: 15 });
    opened.log.close();
  });
});
