import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changesetBytes, type ServerChangeset } from '../../src/protocol/changeset.codec.js';
import { decodeServerMessage, encodeMessage } from '../../src/protocol/decode.js';
import type { Json } from '../../src/protocol/json.codec.js';
import { RealmFile, type RealmChange } from '../../src/store/realm-file.js';
import { openRecordLog } from '../../src/store/record-log.js';
import { ClosedError, CursorRegressionError, FileLockedError, InvalidInputError, NotARecordLogError, TransactionStateError } from '../../src/store/store-errors.js';
import { RecordingLogger, useTempDir } from './temp-dir.js';
import { decodedChangesets } from '../support/decoded-changesets.js';

const tempDir = useTempDir('realm-file');
const realmPath = (): string => join(tempDir(), 'nested', 'local.realm');

/** A remote changeset from `origin`. */
const remote = (origin: string, serverVersion: number, clientVersion: number, wall: number, ops: ServerChangeset['ops']): ServerChangeset => ({
  origin,
  serverVersion,
  clientVersion,
  hlc: { wall, counter: 0 },
  ops,
});

describe('realm file: documents and transactions', () => {
  it('a new file has a random 16-hex ident and empty state', () => {
    const realm = RealmFile.open({ path: realmPath() });
    expect(realm.fileIdent).toMatch(/^[0-9a-f]{16}$/);
    expect(realm.clientVersion).toBe(0);
    expect(realm.cursors).toEqual({ upload: { clientVersion: 0, serverVersion: 0 }, download: { serverVersion: 0, clientVersion: 0 }, epoch: undefined });
    expect(realm.progress).toEqual({ upload: { transferred: 0, transferable: 0 }, download: { transferred: 0, transferable: 0 } });
    expect(realm.objects('Task')).toEqual([]);
    const other = RealmFile.open({ path: join(tempDir(), 'other.realm') });
    expect(other.fileIdent).not.toBe(realm.fileIdent);
    realm.close();
    other.close();
  });

  it('write commits one changeset; objects() is sorted by id; write returns what fn returned', () => {
    const realm = RealmFile.open({ path: realmPath() });
    const result = realm.write((tx) => {
      tx.put('Task', 'b', { title: 'second', done: false });
      tx.put('Task', 'a', { title: 'first', tags: ['x'], meta: { n: 1 } });
      tx.put('Note', 'n1', { text: 'hi' });
      return 42;
    });
    expect(result).toBe(42);
    expect(realm.clientVersion).toBe(1);
    expect(realm.objects('Task')).toEqual([
      { id: 'a', fields: { title: 'first', tags: ['x'], meta: { n: 1 } } },
      { id: 'b', fields: { title: 'second', done: false } },
    ]);
    expect(realm.objectForPrimaryKey('Note', 'n1')).toEqual({ text: 'hi' });
    expect(realm.objectForPrimaryKey('Note', 'missing')).toBeUndefined();
    const [changeset] = realm.pendingChangesets(0);
    expect(changeset?.ops).toHaveLength(3);
    expect(changeset?.origin).toBe(realm.fileIdent);
    realm.close();
  });

  it('fields not named keep their values; delete hides the document; a later put recreates it', () => {
    const realm = RealmFile.open({ path: realmPath() });
    realm.write((tx) => tx.put('T', '1', { a: 1, b: 1 }));
    realm.write((tx) => tx.put('T', '1', { b: 2 }));
    expect(realm.objectForPrimaryKey('T', '1')).toEqual({ a: 1, b: 2 });
    realm.write((tx) => tx.delete('T', '1'));
    expect(realm.objectForPrimaryKey('T', '1')).toBeUndefined();
    expect(realm.objects('T')).toEqual([]);
    realm.write((tx) => tx.put('T', '1', { c: 3 }));
    expect(realm.objectForPrimaryKey('T', '1')).toEqual({ c: 3 });
    realm.close();
  });

  it('an exception inside write leaves nothing: no record, no state, the exception propagates', () => {
    const file = realmPath();
    const realm = RealmFile.open({ path: file });
    realm.write((tx) => tx.put('T', 'kept', { v: 1 }));
    const size = fs.statSync(file).size;
    const boom = new Error('boom');
    expect(() =>
      realm.write((tx) => {
        tx.put('T', 'lost-1', { v: 2 });
        tx.delete('T', 'kept');
        throw boom;
      }),
    ).toThrow(boom);
    expect(fs.statSync(file).size).toBe(size);
    expect(realm.clientVersion).toBe(1);
    expect(realm.objects('T').map((o) => o.id)).toEqual(['kept']);
    realm.close();
    const reopened = RealmFile.open({ path: file });
    expect(reopened.objects('T').map((o) => o.id)).toEqual(['kept']);
    expect(reopened.clientVersion).toBe(1);
    reopened.close();
  });

  it('an empty transaction writes nothing', () => {
    const file = realmPath();
    const realm = RealmFile.open({ path: file });
    const size = fs.statSync(file).size;
    expect(realm.write(() => 'nothing')).toBe('nothing');
    expect(fs.statSync(file).size).toBe(size);
    expect(realm.clientVersion).toBe(0);
    realm.close();
  });

  it('put copies its fields: changing the object afterwards changes nothing', () => {
    const realm = RealmFile.open({ path: realmPath() });
    const fields = { list: [1, 2] };
    realm.write((tx) => {
      tx.put('T', '1', fields);
      fields.list.push(3);
    });
    expect(realm.objectForPrimaryKey('T', '1')).toEqual({ list: [1, 2] });
    realm.close();
  });

  it('what readers get is frozen', () => {
    const realm = RealmFile.open({ path: realmPath() });
    realm.write((tx) => tx.put('T', '1', { list: [1], obj: { a: 1 } }));
    const doc = realm.objectForPrimaryKey('T', '1') as { list: number[]; obj: { a: number } };
    expect(() => doc.list.push(2)).toThrow(TypeError);
    expect(() => {
      doc.obj.a = 2;
    }).toThrow(TypeError);
    expect(Object.isFrozen(realm.objects('T'))).toBe(true);
    realm.close();
  });

  it('odd field names and values survive a reopen unchanged', () => {
    const file = realmPath();
    const realm = RealmFile.open({ path: file });
    const fields = JSON.parse('{"__proto__": {"__proto__": 1}, "constructor": "c", "ünï": "☃ \\ud83d\\ude00", "": 0}') as Record<string, Json>;
    realm.write((tx) => tx.put('T', 'weird id/\u0001 \ud83d\ude00', fields));
    const before = realm.objectForPrimaryKey('T', 'weird id/\u0001 \ud83d\ude00');
    expect(Object.keys(before ?? {})).toEqual(['__proto__', 'constructor', 'ünï', '']);
    realm.close();
    const reopened = RealmFile.open({ path: file });
    expect(reopened.objectForPrimaryKey('T', 'weird id/\u0001 \ud83d\ude00')).toEqual(before);
    expect(JSON.stringify(reopened.objectForPrimaryKey('T', 'weird id/\u0001 \ud83d\ude00'))).toBe(JSON.stringify(before));
    reopened.close();
  });
});

describe('realm file: bad input and misuse throw clear errors', () => {
  it('put and delete check type, id and fields', () => {
    const realm = RealmFile.open({ path: realmPath() });
    const attempts: Array<[string, (tx: Parameters<Parameters<RealmFile['write']>[0]>[0]) => void, RegExp]> = [
      ['empty type', (tx) => tx.put('', '1', { a: 1 }), /type must be a non-empty string/],
      ['empty id', (tx) => tx.put('T', '', { a: 1 }), /id must be a non-empty string/],
      ['non-string id', (tx) => tx.delete('T', 5 as unknown as string), /id must be a non-empty string, not 5/],
      ['undefined value', (tx) => tx.put('T', '1', { a: undefined as unknown as Json }), /fields\.a is of type undefined/],
      ['NaN', (tx) => tx.put('T', '1', { a: Number.NaN }), /NaN/],
      ['Date', (tx) => tx.put('T', '1', { when: new Date() as unknown as Json }), /fields\.when is a Date/],
      ['array as fields', (tx) => tx.put('T', '1', [] as unknown as Record<string, Json>), /plain object/],
      ['no fields', (tx) => tx.put('T', '1', {}), /no fields/],
    ];
    for (const [what, attempt, message] of attempts) {
      expect(() => realm.write(attempt), what).toThrow(InvalidInputError);
      expect(() => realm.write(attempt), what).toThrow(message);
    }
    expect(realm.clientVersion).toBe(0);
    realm.close();
  });

  it('a write inside a write, a transaction used after its write, an async callback', async () => {
    const realm = RealmFile.open({ path: realmPath() });
    expect(() => realm.write(() => realm.write(() => undefined))).toThrow(TransactionStateError);
    let kept: Parameters<Parameters<RealmFile['write']>[0]>[0] | undefined;
    realm.write((tx) => {
      kept = tx;
    });
    expect(() => kept?.put('T', '1', { a: 1 })).toThrow(/transaction is over/);
    expect(() => realm.write(async (tx) => tx.put('T', '1', { a: 1 }))).toThrow(/returned a promise/);
    expect(() => realm.write(() => realm.acknowledgeUpload(0))).toThrow(TransactionStateError);
    expect(() => realm.write(() => realm.close())).toThrow(TransactionStateError);
    expect(realm.clientVersion).toBe(0);
    expect(realm.isClosed).toBe(false);
    realm.close();
  });

  it('a closed realm refuses writes and reads; close is idempotent', () => {
    const realm = RealmFile.open({ path: realmPath() });
    realm.close();
    realm.close();
    expect(realm.isClosed).toBe(true);
    expect(() => realm.write((tx) => tx.put('T', '1', { a: 1 }))).toThrow(ClosedError);
    expect(() => realm.write((tx) => tx.put('T', '1', { a: 1 }))).toThrow(/closed/);
    expect(() => realm.objects('T')).toThrow(ClosedError);
    expect(() => realm.integrateDownload(decodedChangesets([]), { serverVersion: 1, clientVersion: 0 })).toThrow(ClosedError);
  });

  it('options are checked; a foreign file is refused; one handle per file per process', () => {
    expect(() => RealmFile.open({ path: '' })).toThrow(InvalidInputError);
    expect(() => RealmFile.open({ path: realmPath(), compactionFactor: 1 })).toThrow(/compactionFactor/);
    const foreign = join(tempDir(), 'foreign.realm');
    fs.writeFileSync(foreign, 'hello, I am a text file');
    expect(() => RealmFile.open({ path: foreign })).toThrow(NotARecordLogError);
    const realm = RealmFile.open({ path: realmPath() });
    // The file's OS lock refuses a second open, in this process as in another (file-lock.test.ts).
    expect(() => RealmFile.open({ path: realmPath() })).toThrow(FileLockedError);
    realm.close();
  });
});

describe('realm file: listeners', () => {
  it('are called after the commit, outside the transaction, with what changed; unsubscribe works', () => {
    const realm = RealmFile.open({ path: realmPath() });
    const changes: RealmChange[] = [];
    let insideWrite = false;
    const unsubscribe = realm.addListener((change) => {
      expect(insideWrite).toBe(false);
      changes.push(change);
      // Listeners may write: they run after the transaction.
      if (change.changed.some((c) => c.id === 'trigger')) realm.write((tx) => tx.put('T', 'from-listener', { a: 1 }));
    });
    realm.write((tx) => {
      insideWrite = true;
      tx.put('T', 'trigger', { a: 1 });
      tx.put('T', 'trigger', { b: 1 });
      tx.delete('U', 'x');
      insideWrite = false;
    });
    expect(changes).toEqual([
      { changed: [{ type: 'T', id: 'trigger' }, { type: 'U', id: 'x' }], origin: 'local' },
      { changed: [{ type: 'T', id: 'from-listener' }], origin: 'local' },
    ]);
    unsubscribe();
    realm.write((tx) => tx.put('T', 'quiet', { a: 1 }));
    expect(changes).toHaveLength(2);
    realm.close();
  });

  it('an exception in a listener is logged, not thrown at the writer, and other listeners still run', () => {
    const logger = new RecordingLogger();
    const realm = RealmFile.open({ path: realmPath(), logger });
    let second = 0;
    realm.addListener(() => {
      throw new Error('listener bug');
    });
    realm.addListener(() => second++);
    expect(() => realm.write((tx) => tx.put('T', '1', { a: 1 }))).not.toThrow();
    expect(second).toBe(1);
    expect(logger.warnings.map((w) => w.message)).toEqual(['a realm listener threw; the exception was ignored']);
    expect(String(logger.warnings[0]?.details?.error)).toMatch(/listener bug/);
    realm.close();
  });

  it("with 'batched' durability they are called after the fsync, and only then is the changeset uploadable", async () => {
    const file = realmPath();
    const realm = RealmFile.open({ path: file, durability: 'batched' });
    const changes: RealmChange[] = [];
    realm.addListener((c) => changes.push(c));
    realm.write((tx) => tx.put('T', '1', { a: 1 }));
    realm.write((tx) => tx.put('T', '2', { a: 1 }));
    expect(changes).toEqual([]);
    expect(realm.clientVersion).toBe(2);
    expect(realm.objects('T')).toHaveLength(2);
    expect(realm.pendingChangesets(0)).toEqual([]);
    await realm.flush();
    expect(changes.map((c) => c.changed)).toEqual([[{ type: 'T', id: '1' }], [{ type: 'T', id: '2' }]]);
    expect(realm.pendingChangesets(0).map((c) => c.clientVersion)).toEqual([1, 2]);
    realm.write((tx) => tx.put('T', '3', { a: 1 }));
    realm.close();
    const reopened = RealmFile.open({ path: file, durability: 'batched' });
    expect(reopened.objects('T').map((o) => o.id)).toEqual(['1', '2', '3']);
    expect(reopened.pendingChangesets(0)).toHaveLength(3);
    reopened.close();
  });
});

describe('realm file: the sync side', () => {
  it('pendingChangesets, acknowledgeUpload and upload progress', () => {
    const realm = RealmFile.open({ path: realmPath() });
    for (let i = 1; i <= 4; i++) realm.write((tx) => tx.put('T', `${i}`, { i }));
    const all = realm.pendingChangesets(0);
    expect(all.map((c) => c.clientVersion)).toEqual([1, 2, 3, 4]);
    expect(realm.pendingChangesets(2).map((c) => c.clientVersion)).toEqual([3, 4]);
    const bytes = all.map(changesetBytes);
    expect(realm.progress.upload).toEqual({ transferred: 0, transferable: bytes.reduce((a, b) => a + b) });

    realm.acknowledgeUpload(2);
    expect(realm.cursors.upload.clientVersion).toBe(2);
    expect(realm.progress.upload.transferred).toBe(bytes[0]! + bytes[1]!);
    expect(realm.pendingChangesets(0).map((c) => c.clientVersion)).toEqual([3, 4]);
    realm.acknowledgeUpload(1); // lower: ignored
    expect(realm.cursors.upload.clientVersion).toBe(2);
    expect(() => realm.acknowledgeUpload(5)).toThrow(InvalidInputError);
    expect(() => realm.acknowledgeUpload(-1)).toThrow(InvalidInputError);
    expect(() => realm.pendingChangesets(Number.NaN)).toThrow(InvalidInputError);
    realm.acknowledgeUpload(4);
    expect(realm.progress.upload.transferred).toBe(realm.progress.upload.transferable);
    expect(realm.pendingChangesets(0)).toEqual([]);
    realm.close();
  });

  it("the upload cursor's server version is the download cursor at the acknowledged commit", () => {
    const realm = RealmFile.open({ path: realmPath() });
    realm.write((tx) => tx.put('T', 'a', { v: 1 }));
    realm.integrateDownload(decodedChangesets([remote('other', 1, 1, 1, [{ op: 'put', type: 'T', id: 'o', fields: { v: 1 } }])]), { serverVersion: 7, clientVersion: 0 });
    realm.write((tx) => tx.put('T', 'b', { v: 1 }));
    realm.acknowledgeUpload(1);
    expect(realm.cursors.upload).toEqual({ clientVersion: 1, serverVersion: 0 });
    realm.acknowledgeUpload(2);
    expect(realm.cursors.upload).toEqual({ clientVersion: 2, serverVersion: 7 });
    realm.close();
  });

  it('integrateDownload applies remote changesets, skips echoes of its own, persists cursor and progress, tells listeners', () => {
    const realm = RealmFile.open({ path: realmPath(), now: () => 1_000 });
    realm.write((tx) => tx.put('T', 'mine', { v: 'local' }));
    const [own] = realm.pendingChangesets(0);
    const changes: RealmChange[] = [];
    realm.addListener((c) => changes.push(c));
    const theirs = remote('zzz', 2, 1, 500, [
      { op: 'put', type: 'T', id: 'theirs', fields: { v: 'remote' } },
      { op: 'put', type: 'T', id: 'mine', fields: { v: 'older remote write' } },
    ]);
    const echo: ServerChangeset = { ...own!, serverVersion: 1, ops: [{ op: 'delete', type: 'T', id: 'mine' }] };
    realm.integrateDownload(decodedChangesets([echo, theirs]), { serverVersion: 2, clientVersion: 1 }, 100);
    // The echo was not applied (its real content is already here; this altered copy proves it is skipped).
    expect(realm.objects('T')).toEqual([
      { id: 'mine', fields: { v: 'local' } }, // local stamp (wall 1000) beats the remote one (wall 500)
      { id: 'theirs', fields: { v: 'remote' } },
    ]);
    expect(changes).toEqual([{ changed: [{ type: 'T', id: 'theirs' }], origin: 'remote' }]);
    expect(realm.cursors.download).toEqual({ serverVersion: 2, clientVersion: 1 });
    const received = changesetBytes(echo) + changesetBytes(theirs);
    expect(realm.progress.download).toEqual({ transferred: received, transferable: received + 100 });
    realm.integrateDownload(decodedChangesets([]), { serverVersion: 2, clientVersion: 1 }, 0);
    expect(realm.progress.download).toEqual({ transferred: received, transferable: received });
    realm.close();
  });

  it('a newer remote write wins; the next local stamp exceeds every stamp received (HLC receive)', () => {
    const realm = RealmFile.open({ path: realmPath(), now: () => 1_000 });
    realm.write((tx) => tx.put('T', '1', { v: 'local' }));
    realm.integrateDownload(decodedChangesets([remote('other', 1, 1, 9_999, [{ op: 'put', type: 'T', id: '1', fields: { v: 'future' } }])]), { serverVersion: 1, clientVersion: 1 });
    expect(realm.objectForPrimaryKey('T', '1')).toEqual({ v: 'future' });
    realm.write((tx) => tx.put('T', '1', { v: 'after' }));
    expect(realm.objectForPrimaryKey('T', '1')).toEqual({ v: 'after' });
    expect(realm.pendingChangesets(1)[0]?.hlc).toEqual({ wall: 9_999, counter: 2 });
    realm.close();
  });

  it('a cursor that moves back throws and changes nothing; bad changesets are refused', () => {
    const realm = RealmFile.open({ path: realmPath() });
    realm.write((tx) => tx.put('T', '1', { v: 1 }));
    realm.integrateDownload(decodedChangesets([]), { serverVersion: 5, clientVersion: 1 });
    expect(() => realm.integrateDownload(decodedChangesets([]), { serverVersion: 4, clientVersion: 1 })).toThrow(CursorRegressionError);
    expect(() => realm.integrateDownload(decodedChangesets([]), { serverVersion: 6, clientVersion: 0 })).toThrow(CursorRegressionError);
    expect(() => realm.integrateDownload(decodedChangesets([]), { serverVersion: 6, clientVersion: 2 })).toThrow(/client version 2/);
    expect(() => realm.integrateDownload(decodedChangesets([{ nope: true } as unknown as ServerChangeset]), { serverVersion: 6, clientVersion: 1 })).toThrow(InvalidInputError);
    expect(() => realm.integrateDownload(decodedChangesets([]), { serverVersion: -1, clientVersion: 1 } as never)).toThrow(InvalidInputError);
    expect(() => realm.integrateDownload(decodedChangesets([]), { serverVersion: 6, clientVersion: 1 }, -3)).toThrow(InvalidInputError);
    expect(realm.cursors.download).toEqual({ serverVersion: 5, clientVersion: 1 });
    realm.close();
  });

  it('integrateDownload takes the changesets decodeServerMessage decoded, and no plain array (the type says they were validated)', () => {
    const realm = RealmFile.open({ path: realmPath() });
    const frame = encodeMessage(
      { type: 'download', session: 1, changesets: [{ ...remote('peer', 1, 1, 1, [{ op: 'put', type: 'T', id: 'p', fields: { v: 1 } }]), extra: 'dropped' } as ServerChangeset], cursors: { serverVersion: 1, clientVersion: 0 }, uploadAck: 0, downloadableBytes: 0 },
      'server',
    );
    const decoded = decodeServerMessage(frame);
    if (decoded._tag !== 'Right' || decoded.right.type !== 'download') throw new Error('no download');
    realm.integrateDownload(decoded.right.changesets, decoded.right.cursors, decoded.right.downloadableBytes);
    expect(realm.objectForPrimaryKey('T', 'p')).toEqual({ v: 1 });
    const plain: readonly ServerChangeset[] = decoded.right.changesets;
    // Never called: what it pins is the compile error (tsc checks the tests).
    const undecoded = (): void =>
      realm.integrateDownload(
        // @ts-expect-error a plain array of changesets is not DecodedServerChangesets
        plain,
        { serverVersion: 1, clientVersion: 0 },
      );
    expect(undecoded).toBeTypeOf('function');
    realm.close();
  });

  it('setEpoch persists; the same epoch again writes nothing', () => {
    const file = realmPath();
    const realm = RealmFile.open({ path: file });
    realm.setEpoch('e1');
    const size = fs.statSync(file).size;
    realm.setEpoch('e1');
    expect(fs.statSync(file).size).toBe(size);
    expect(() => realm.setEpoch('')).toThrow(InvalidInputError);
    realm.close();
    const reopened = RealmFile.open({ path: file });
    expect(reopened.cursors.epoch).toBe('e1');
    reopened.close();
  });
});

describe('realm file: reopening restores everything', () => {
  it('documents, ident, versions, cursors, acks, epoch, progress and the HLC', () => {
    const file = realmPath();
    let clock = 50_000;
    const realm = RealmFile.open({ path: file, now: () => clock });
    realm.write((tx) => tx.put('T', 'a', { v: 1 }));
    realm.write((tx) => tx.put('T', 'b', { v: 2 }));
    realm.write((tx) => tx.delete('T', 'a'));
    realm.setEpoch('epoch-1');
    realm.integrateDownload(decodedChangesets([remote('peer', 3, 1, 60_000, [{ op: 'put', type: 'P', id: 'p', fields: { x: [1] } }])]), { serverVersion: 3, clientVersion: 2 }, 77);
    realm.acknowledgeUpload(2);
    const before = {
      ident: realm.fileIdent,
      version: realm.clientVersion,
      cursors: realm.cursors,
      progress: realm.progress,
      t: realm.objects('T'),
      p: realm.objects('P'),
      pending: realm.pendingChangesets(0),
    };
    realm.close();

    clock = 10; // the physical clock stepped back across the restart
    const reopened = RealmFile.open({ path: file, now: () => clock });
    expect({
      ident: reopened.fileIdent,
      version: reopened.clientVersion,
      cursors: reopened.cursors,
      progress: reopened.progress,
      t: reopened.objects('T'),
      p: reopened.objects('P'),
      pending: reopened.pendingChangesets(0),
    }).toEqual(before);
    expect(before.t).toEqual([{ id: 'b', fields: { v: 2 } }]);
    expect(before.pending.map((c) => c.clientVersion)).toEqual([3]);
    reopened.write((tx) => tx.put('T', 'b', { v: 3 }));
    const latest = reopened.pendingChangesets(3)[0];
    expect(latest?.clientVersion).toBe(4);
    // Greater than the remote reading received before the restart (60,000): stamps never go back.
    expect(latest?.hlc.wall).toBe(60_000);
    expect(latest?.hlc.counter).toBeGreaterThan(0);
    expect(reopened.objectForPrimaryKey('T', 'b')).toEqual({ v: 3 });
    reopened.close();
  });
});

describe('realm file: corruption', () => {
  it('a record that passes its CRC but does not decode is left out with a warning; the records after it are kept', () => {
    const file = realmPath();
    const realm = RealmFile.open({ path: file });
    realm.write((tx) => tx.put('T', '1', { v: 1 }));
    realm.write((tx) => tx.put('T', '2', { v: 2 }));
    realm.close();
    const { log } = openRecordLog(file);
    log.append([Buffer.from('{"kind":"local","changeset":"not a changeset"}')]);
    log.append([Buffer.from('{"kind":"epoch","epoch":"after the bad record"}')]);
    log.close();
    const logger = new RecordingLogger();
    const reopened = RealmFile.open({ path: file, logger });
    expect(reopened.objects('T').map((o) => o.id)).toEqual(['1', '2']);
    expect(reopened.cursors.epoch).toBe('after the bad record');
    expect(logger.warnings).toHaveLength(1);
    expect(String(logger.warnings[0]?.details?.reason)).toMatch(/local record/);
    expect(reopened.openReport.refusedRecords).toHaveLength(1);
    reopened.write((tx) => tx.put('T', '3', { v: 3 }));
    expect(reopened.clientVersion).toBe(3);
    reopened.close();
  });

  it('a whole, decodable record out of sequence (a skipped client version) is left out too', () => {
    const file = realmPath();
    const realm = RealmFile.open({ path: file, now: () => 5 });
    realm.write((tx) => tx.put('T', '1', { v: 1 }));
    const ident = realm.fileIdent;
    realm.close();
    const { log } = openRecordLog(file);
    const skipped = { clientVersion: 3, origin: ident, hlc: { wall: 9, counter: 0 }, ops: [{ op: 'put', type: 'T', id: 'x', fields: { v: 1 } }] };
    log.append([Buffer.from(JSON.stringify({ kind: 'local', changeset: skipped, serverVersion: 0 }))]);
    log.close();
    const logger = new RecordingLogger();
    const reopened = RealmFile.open({ path: file, logger });
    expect(reopened.clientVersion).toBe(1);
    expect(String(logger.warnings[0]?.details?.reason)).toMatch(/does not follow 1/);
    reopened.close();
  });

  it('a torn last transaction is lost whole; the transactions before it are all there', () => {
    const file = realmPath();
    const realm = RealmFile.open({ path: file });
    realm.write((tx) => tx.put('T', '1', { v: 1 }));
    const cut = fs.statSync(file).size;
    realm.write((tx) => {
      tx.put('T', '2', { v: 2 });
      tx.put('T', '3', { v: 3 });
    });
    realm.close();
    const whole = fs.readFileSync(file);
    for (let at = cut + 1; at < whole.length; at += 7) {
      fs.writeFileSync(file, whole.subarray(0, at));
      const reopened = RealmFile.open({ path: file });
      expect(reopened.objects('T').map((o) => o.id)).toEqual(['1']);
      expect(reopened.clientVersion).toBe(1);
      reopened.close();
    }
  });
});
