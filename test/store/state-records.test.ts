/**
 * `RealmFile.integrateState`: the documents of a server's `state` message merged into the file
 * as one record per frame (no cursor moved, the bytes counted as downloaded), durable before
 * listeners hear; replayed on open by merging, kept by compaction in its snapshot, and gone
 * through a client reset like any other state. A forged state record in the file is refused
 * and reported, and the records after it are kept.
 */
import { appendFileSync, copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { DocumentEntry } from '../../src/protocol/document-entry.codec.js';
import { RealmFile, type RealmChange } from '../../src/store/realm-file.js';
import { encodeRecords } from '../../src/store/record-framing.js';
import { openRecordLog } from '../../src/store/record-log.js';
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

/** The snapshot a compaction of the file at `path` writes, its documents in a stable order. */
function compactedSnapshot(path: string): SnapshotRecord {
  const realm = RealmFile.open({ path, now: () => NOW });
  realm.compact();
  realm.close();
  const [snapshot, ...rest] = recordsOf(path);
  if (snapshot?.kind !== 'snapshot' || rest.length > 0) throw new Error('compaction did not leave one snapshot');
  const key = (d: DocumentEntry): string => JSON.stringify([d.type, d.id]);
  const documents = [...snapshot.documents]
    .map((d) => ({ ...d, fields: [...d.fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) }))
    .sort((a, b) => (key(a) < key(b) ? -1 : 1));
  return { ...snapshot, documents };
}

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
    realm.integrateState(decodedDocuments(documents), 5_000);
    expect(realm.objectForPrimaryKey('Task', 't1')).toEqual({ title: 'server, newer' });
    expect(realm.objectForPrimaryKey('Task', 't2')).toEqual({ title: 'local, newer', extra: 'é—𝄞' });
    expect(realm.objectForPrimaryKey('Task', 't3')).toEqual({ title: 'only on the server' });
    expect(realm.objectForPrimaryKey('Task', 't4')).toBeUndefined();
    expect(realm.objectForPrimaryKey('Task', 't5')).toEqual({ b: 'after the tombstone' });
    expect(realm.cursors.download).toEqual({ serverVersion: 0, clientVersion: 0 });
    const bytes = bytesOf(documents);
    expect(realm.progress.download).toEqual({ transferred: bytes, transferable: bytes + 5_000 });
    expect(changes).toHaveLength(1);
    expect(changes[0]?.origin).toBe('remote');
    expect(changes[0]?.changed.map((k) => k.id).sort()).toEqual(['t1', 't2', 't3', 't4', 't5']);

    // The same frame again (a batch sent again after a disconnect): nothing changes but the bytes transferred.
    realm.integrateState(decodedDocuments(documents), 4_000);
    expect(changes).toHaveLength(1);
    expect(realm.objectForPrimaryKey('Task', 't2')).toEqual({ title: 'local, newer', extra: 'é—𝄞' });
    expect(realm.progress.download).toEqual({ transferred: 2 * bytes, transferable: 2 * bytes + 4_000 });

    // The clock followed the state's stamps: a local write after it wins over them.
    realm.write((tx) => tx.put('Task', 't1', { title: 'local, after' }));
    expect(realm.objectForPrimaryKey('Task', 't1')).toEqual({ title: 'local, after' });
    // A late put older than the state's tombstone still loses to it.
    realm.integrateDownload(
      decodedChangesets([{ origin: 'slow', clientVersion: 1, serverVersion: 1, hlc: { wall: 2, counter: 0 }, ops: [{ op: 'put', type: 'Task', id: 't4', fields: { late: true } }] }]),
      { serverVersion: 1, clientVersion: 0 },
    );
    expect(realm.objectForPrimaryKey('Task', 't4')).toBeUndefined();
    realm.close();

    const kinds = recordsOf(path).map((r) => r.kind);
    expect(kinds).toEqual(['header', 'local', 'state', 'state', 'local', 'remote']);
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
    const realm = RealmFile.open({ path, now: () => NOW });
    for (let frame = 0; frame < 20; frame++) {
      if (frame % 3 === 0) realm.write((tx) => tx.put('Doc', `d${frame % 7}`, { local: frame }));
      if (frame % 5 === 4) realm.write((tx) => tx.delete('Doc', `d${frame % 6}`));
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
    }
    const visible = realm.snapshotDocuments();
    const progress = realm.progress;
    // A copy of the records as they are: reopened, it replays them.
    copyFileSync(path, copy);
    realm.compact(); // the live state, written out
    realm.close();

    const live = compactedSnapshot(path);
    const replayed = compactedSnapshot(copy);
    expect(replayed).toEqual(live);
    expect(live.documents.length).toBe(9);
    for (const file of [path, copy]) {
      const reopened = RealmFile.open({ path: file, now: () => NOW });
      expect(reopened.snapshotDocuments()).toEqual(visible);
      expect(reopened.progress).toEqual(progress);
      reopened.close();
    }
  });

  it('a client reset of a file holding state records starts over, and the fresh state is merged again', () => {
    const path = join(tempDir(), 'reset.realm');
    const realm = RealmFile.open({ path, now: () => NOW });
    realm.setEpoch('old');
    realm.integrateState(decodedDocuments([{ type: 'T', id: 'server', fields: [['v', 1, stamp(5)]], tombstone: null }]), 0);
    realm.write((tx) => tx.put('T', 'mine', { v: 2 }));
    const result = realm.resetForClientReset('recover');
    expect(result.unsyncedChangesets).toBe(1);
    expect(realm.objectForPrimaryKey('T', 'server')).toBeUndefined();
    expect(realm.objectForPrimaryKey('T', 'mine')).toEqual({ v: 2 });
    realm.integrateState(decodedDocuments([{ type: 'T', id: 'server', fields: [['v', 3, stamp(6)]], tombstone: null }]), 0);
    realm.close();
    const reopened = RealmFile.open({ path, now: () => NOW });
    expect(reopened.objects('T')).toEqual([
      { id: 'mine', fields: { v: 2 } },
      { id: 'server', fields: { v: 3 } },
    ]);
    reopened.close();
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
    expect(reopened.objects('T').map((o) => o.id)).toEqual(['after-1', 'after-2', 'before']);
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
