/**
 * Client reset: the server's history of this file is gone (a new epoch), so the file starts over
 * under a new ident. This module builds the state the reset file starts from, rewrites the file
 * with it, and says which documents readers see change; `RealmFile.resetForClientReset` checks
 * the call and takes the new state over.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Changeset } from '../protocol/changeset.codec.js';
import type { DocumentKey, DocumentSet } from './document-set.js';
import { newFileIdent } from './file-ident.js';
import type { RandomSource } from '../time/random-source.js';
import { tick } from './hlc.js';
import { jsonEqual } from './json-value.js';
import type { Logger } from './logger.js';
import { RealmState } from './realm-state.js';
import type { RecordLog } from './record-log.js';
import { StoreError } from './store-errors.js';
import { decodeStoreRecord, encodeStoreRecord, STORE_FORMAT, type SnapshotRecord, type StoreRecord } from './store-records.js';

/** How unacknowledged local changes fare in a client reset: dropped, or replayed as new changesets. */
export type ClientResetMode = 'discard' | 'recover';

/** What a client reset did. */
export interface ClientResetResult {
  /** Local changesets that were not acknowledged and were replayed as new local changesets (recover), or dropped (discard). */
  readonly unsyncedChangesets: number;
  readonly recovered: boolean;
  /** The file ident before the reset (the new one is `realm.fileIdent`). */
  readonly previousFileIdent: string;
}

/** What {@link resetRealmFile} needs of the realm file it resets. */
export interface ResettableRealm {
  readonly path: string;
  readonly log: RecordLog;
  readonly state: RealmState;
  readonly fileIdent: string;
  readonly logger: Logger;
  /** The physical clock in ms, for the stamps of replayed changesets. */
  readonly now: () => number;
  /** Where the new file ident comes from. */
  readonly random: RandomSource;
  /**
   * Takes over the state the rewritten file holds (read from its own bytes) and its new ident;
   * called once the rewrite is done, before anything else can fail, so memory follows the disk.
   */
  startOver(state: RealmState, fileIdent: string): void;
}

/** What a client reset did, and the documents whose visible state it changed, each once. */
export interface ClientResetOutcome {
  readonly changed: DocumentKey[];
  readonly result: ClientResetResult;
}

/**
 * Rewrites `realm`'s log as the reset file (`RealmFile.resetForClientReset` says what it holds):
 * the whole state, replay included, in one atomic rewrite, so a crash leaves the old file or
 * the reset one. If it throws before the rewrite is done, nothing changed in memory.
 */
export function resetRealmFile(realm: ResettableRealm, mode: ClientResetMode): ClientResetOutcome {
  const previousFileIdent = realm.fileIdent;
  const before = realm.state;
  const unsynced = before.pending.map((p) => p.changeset);
  let ident = newFileIdent(realm.random);
  while (ident === previousFileIdent) ident = newFileIdent(realm.random);

  const payload = encodeStoreRecord(recoveredSnapshot(before, ident, mode, unsynced, realm.now));
  // The reset state is built from the record's own bytes, as a reopen will read them.
  const decoded = decodeStoreRecord(payload);
  const fresh = new RealmState();
  const problem = E.isLeft(decoded) ? decoded.left : fresh.check(decoded.right);
  if (problem !== undefined || E.isLeft(decoded)) throw new StoreError(`internal error: the client reset snapshot would not read back (${problem}); nothing was written`);
  realm.log.rewrite([payload]);
  fresh.apply(decoded.right);
  realm.startOver(fresh, ident);
  realm.logger.info('client reset', { path: realm.path, mode, previousFileIdent, fileIdent: ident, unsyncedChangesets: unsynced.length });

  const touched: DocumentKey[] = Array.from(before.documents.entries(), ({ type, id }) => ({ type, id }));
  for (const { type, id } of fresh.documents.entries()) touched.push({ type, id });
  return {
    changed: visiblyChanged(before.documents, fresh.documents, touched),
    result: Object.freeze({ unsyncedChangesets: unsynced.length, recovered: mode === 'recover', previousFileIdent }),
  };
}

/**
 * The snapshot a reset file starts from: no documents, no changesets, zero cursors, no epoch,
 * under `fileIdent`. The HLC is kept, so replayed and later stamps beat every stamp seen before.
 * Upload bytes count as transferred, as nothing of the old history is pending any more;
 * download counters carry on, so progress never moves back.
 */
export function clientResetSnapshot(state: RealmState, fileIdent: string): SnapshotRecord {
  const { upload, download } = state.progress;
  return {
    kind: 'snapshot',
    format: STORE_FORMAT,
    fileIdent,
    clientVersion: 0,
    hlc: state.hlc,
    epoch: null,
    upload: { clientVersion: 0, serverVersion: 0 },
    download: { serverVersion: 0, clientVersion: 0 },
    progress: {
      uploadTransferable: upload.transferable,
      uploadTransferred: upload.transferable,
      downloadTransferred: download.transferred,
      downloadableBytes: state.downloadable,
    },
    documents: [],
    pending: [],
  };
}

/**
 * The whole state a reset file starts from, as one snapshot: {@link clientResetSnapshot}, and in
 * `recover` mode the operations of each of `unsynced` replayed on it, in order, as local
 * changesets 1..n of `fileIdent` with fresh HLC stamps (`now` is the physical clock), so they win
 * over the older server state they will meet. One record: written in one atomic rewrite, a crash
 * leaves the old file or this one, never the reset without some of the replay.
 */
export function recoveredSnapshot(before: RealmState, fileIdent: string, mode: ClientResetMode, unsynced: readonly Changeset[], now: () => number): SnapshotRecord {
  const base = clientResetSnapshot(before, fileIdent);
  if (mode === 'discard' || unsynced.length === 0) return base;
  const state = new RealmState();
  state.apply(base);
  for (const { ops } of unsynced) {
    const record: StoreRecord = {
      kind: 'local',
      changeset: { clientVersion: state.clientVersion + 1, origin: fileIdent, hlc: tick(state.hlc, now()), ops },
      serverVersion: 0,
    };
    const problem = state.check(record);
    if (problem !== undefined) throw new StoreError(`internal error: a recovered changeset does not fit the reset state (${problem}); nothing was written`);
    state.apply(record);
  }
  return state.snapshot();
}

/**
 * The documents among `candidates` whose visible fields differ between `before` and `after`
 * (appeared, vanished or changed), each once. Compared by value: a replay that recreates what
 * was there already is no change for a reader.
 */
export function visiblyChanged(before: DocumentSet, after: DocumentSet, candidates: Iterable<DocumentKey>): DocumentKey[] {
  const changed = new Map<string, DocumentKey>();
  for (const { type, id } of candidates) {
    // JSON.stringify of the pair cannot collide, unlike a joined string.
    const key = JSON.stringify([type, id]);
    if (changed.has(key)) continue;
    const was = before.visible(type, id);
    const is = after.visible(type, id);
    const same = was === undefined || is === undefined ? was === is : jsonEqual(was, is);
    if (!same) changed.set(key, { type, id });
  }
  return [...changed.values()];
}
