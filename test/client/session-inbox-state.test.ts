/**
 * What a session does with a server's `state` message (`session-inbox.ts`), on a real realm
 * file and decoded frames: the documents are staged (readers see them once the DOWNLOAD that
 * ends the batch comes) and the chart hears the bytes as download progress, but no
 * `server.download` (no cursor moved: that DOWNLOAD is what the chart waits for); a state the
 * file cannot take for a reason of its own (closed) is a fatal `localStorageFailed`, not the
 * server's fault. And the IDENT's
 * `historyRetentionMs` reaches the file's compaction through the server terms.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../machines/session.types.js';
import { defaultServerLimits, ServerTerms } from '../../src/client/server-terms.js';
import { receive } from '../../src/client/session-inbox.js';
import { SessionFile } from '../../src/client/session-file.js';
import { decodeServerMessage, type ServerMessage } from '../../src/protocol/index.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { openRecordLog } from '../../src/store/record-log.js';
import { decodeStoreRecord } from '../../src/store/store-records.js';
import { useTempDir } from '../store/temp-dir.js';

const tempDir = useTempDir('session-inbox-state');

const decoded = (message: unknown): ServerMessage => {
  const result = decodeServerMessage(JSON.stringify(message));
  if (result._tag === 'Left') throw new Error(result.left.message);
  return result.right;
};

/** A session's inbox on `file`, the chart's events collected. */
function inboxOn(file: RealmFile | undefined, terms = new ServerTerms(defaultServerLimits())) {
  const events: SessionEvent[] = [];
  const toChart = (event: SessionEvent): void => void events.push(event);
  const sessionFile = new SessionFile(terms, toChart);
  if (file !== undefined) sessionFile.attach(file);
  events.length = 0;
  const deliver = (message: unknown): void =>
    receive(decoded(message), { file, terms, toChart, reportProgress: () => sessionFile.reportProgress(), serverAccepted: () => {} });
  return { events, deliver };
}

const DOCUMENT = { type: 'Task', id: 't1', fields: [['title', 'x', [1764081000123, 0, '9f3a51c07be2d4e1', 0]]], tombstone: null };

describe('session inbox: state', () => {
  it('stages the documents and reports the bytes as download progress; only the DOWNLOAD that ends the batch shows them and reaches the chart as one', () => {
    const file = RealmFile.open({ path: join(tempDir(), 'a.realm') });
    const { events, deliver } = inboxOn(file);
    deliver({ type: 'state', session: 1, documents: [DOCUMENT], downloadableBytes: 500 });
    expect(file.objectForPrimaryKey('Task', 't1')).toBeUndefined();
    expect(file.bootstrapping).toBe(true);
    const bytes = Buffer.byteLength(JSON.stringify(DOCUMENT), 'utf8');
    expect(events).toEqual([{ type: 'progress', direction: 'download', transferred: bytes, transferable: bytes + 500 }]);
    expect(file.cursors.download.serverVersion).toBe(0);

    deliver({ type: 'download', session: 1, changesets: [], cursors: { serverVersion: 9, clientVersion: 0 }, uploadAck: 0, downloadableBytes: 0 });
    expect(file.cursors.download).toEqual({ serverVersion: 9, clientVersion: 0 });
    expect(file.objectForPrimaryKey('Task', 't1')).toEqual({ title: 'x' });
    expect(file.bootstrapping).toBe(false);
    expect(events.slice(1)).toEqual([
      { type: 'progress', direction: 'download', transferred: bytes, transferable: bytes },
      { type: 'server.download', downloadableBytes: 0 },
    ]);
    file.close();
  });

  it('a state the file cannot take (a closed file) is a fatal localStorageFailed; with no file open it is dropped', () => {
    const file = RealmFile.open({ path: join(tempDir(), 'b.realm') });
    const { events, deliver } = inboxOn(file);
    file.close();
    deliver({ type: 'state', session: 1, documents: [DOCUMENT], downloadableBytes: 0 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', error: { code: 'localStorageFailed', category: 'session', isFatal: true } });

    const none = inboxOn(undefined);
    none.deliver({ type: 'state', session: 1, documents: [DOCUMENT], downloadableBytes: 0 });
    expect(none.events).toEqual([]);
  });
});

describe('session inbox: historyRetentionMs', () => {
  const tombstoneIds = (path: string): string[] => {
    const { log, records } = openRecordLog(path, { decode: (payload) => decodeStoreRecord(payload) });
    log.close();
    const [snapshot] = records;
    return snapshot?.kind === 'snapshot' ? snapshot.documents.filter((d) => d.tombstone !== null).map((d) => d.id) : [];
  };
  const ident = (extra: object) => ({ type: 'ident', session: 1, fileIdent: 'f', epoch: 'e', ...extra });
  const oldTombstone = { type: 'Task', id: 'gone', fields: [], tombstone: [5, 0, 'srv', 0] };

  for (const announced of [{ historyRetentionMs: 60_000 }, {}]) {
    it(`an IDENT ${'historyRetentionMs' in announced ? 'naming' : 'without'} a retention: the terms learn it, and the file's compaction keeps an old server tombstone`, () => {
      const path = join(tempDir(), 'r.realm');
      const file = RealmFile.open({ path, now: () => 10_000_000 });
      const terms = new ServerTerms(defaultServerLimits());
      const { deliver } = inboxOn(file, terms);
      // A retention named before is forgotten by an IDENT that names none (the server keeps all now).
      deliver(ident({ historyRetentionMs: 1 }));
      deliver(ident(announced));
      expect(terms.retentionMs).toBe('historyRetentionMs' in announced ? announced.historyRetentionMs : undefined);
      deliver({ type: 'state', session: 1, documents: [oldTombstone], downloadableBytes: 0 });
      deliver({ type: 'download', session: 1, changesets: [], cursors: { serverVersion: 3, clientVersion: 0 }, uploadAck: 0, downloadableBytes: 0 });
      file.compact();
      file.close();
      // Kept: a client that drops a tombstone the server may still hold would diverge from it
      // (see ServerTerms.applyTo).
      expect(tombstoneIds(path)).toEqual(['gone']);
    });
  }
});
