/**
 * Everything a realm file knows, in memory, as a fold over its records: opening a file replays
 * them through {@link RealmState.replay}, and a live commit goes through the same `check` and
 * `apply`, so the state after a restart is by construction the state before it. No I/O here.
 */
import * as E from 'fp-ts/lib/Either.js';
import { changesetBytes, type Changeset, type Hlc } from '../protocol/changeset.codec.js';
import type { DownloadCursor, UploadCursor } from '../protocol/cursors.codec.js';
import type { Json } from '../protocol/json.codec.js';
import { DocumentSet, documentKeyOf, type DocumentKey } from './document-set.js';
import type { DocumentState } from './document-state.js';
import { HLC_ZERO, maxHlc } from './hlc.js';
import { deepFreeze } from './json-value.js';
import { documentToEntry, entryToDocument } from './snapshot.js';
import { STORE_FORMAT, type DocumentEntry, type SnapshotRecord, type StoreRecord } from './store-records.js';
import { PendingBase, type BaseDocument } from './pending-base.js';
import { expiredTombstones, type ExpiredTombstone } from './tombstone-retention.js';

/** A local changeset not yet acknowledged, with what uploading and acknowledging it needs. */
export interface PendingChangeset {
  readonly changeset: Changeset;
  /** The download cursor's server version when it was committed. */
  readonly serverVersion: number;
  /** Its progress bytes (`changesetBytes`). */
  readonly bytes: number;
}

/** Snapshot bytes besides documents and pending changesets: ident, versions, cursors, counters, punctuation. */
const SNAPSHOT_BASE_BYTES = 400;
/** Snapshot bytes of one pending entry besides its changeset. */
const PENDING_ENTRY_BYTES = 40;

/** The in-memory state of a realm file. Mutated only through {@link RealmState.apply}. */
export class RealmState {
  readonly documents = new DocumentSet();
  /**
   * Documents of `state` records no DOWNLOAD confirmed yet: a bootstrap is applied whole, when
   * the DOWNLOAD that ends its batch arrives (then they merge into `documents`), so a reader
   * never sees part of the server's state; a new epoch discards them (a reset replaced it).
   */
  private staged = new DocumentSet();
  /** What the documents the pending changesets touch were without them: what a compensating write puts back. */
  private readonly base = new PendingBase();
  private ident: string | undefined;
  private version = 0;
  private clock: Hlc = HLC_ZERO;
  private epochValue: string | undefined;
  private uploadCursor: UploadCursor = { clientVersion: 0, serverVersion: 0 };
  private downloadCursor: DownloadCursor = { serverVersion: 0, clientVersion: 0 };
  private uploadTransferable = 0;
  private uploadTransferred = 0;
  private downloadTransferred = 0;
  private downloadableBytes = 0;
  /**
   * Unacknowledged changesets are `queue[head..]`: an acknowledgement moves `head` instead of
   * copying the rest (a session acknowledges one changeset at a time while thousands may be
   * pending), and the acknowledged prefix is dropped once it is half the array.
   */
  private queue: PendingChangeset[] = [];
  private head = 0;
  private unacknowledgedBytes = 0;

  /** The file's ident, once its header or snapshot has been applied. */
  get fileIdent(): string | undefined {
    return this.ident;
  }
  /** Version of the last local changeset (0 if none). */
  get clientVersion(): number {
    return this.version;
  }
  /** The greatest HLC reading this file has issued or seen. */
  get hlc(): Hlc {
    return this.clock;
  }
  get epoch(): string | undefined {
    return this.epochValue;
  }
  get upload(): UploadCursor {
    return this.uploadCursor;
  }
  get download(): DownloadCursor {
    return this.downloadCursor;
  }
  /** Local changesets the server has not acknowledged, in client-version order (a copy: O(pending)). */
  get pending(): readonly PendingChangeset[] {
    return this.queue.slice(this.head);
  }

  /** How many local changesets the server has not acknowledged. */
  get pendingCount(): number {
    return this.queue.length - this.head;
  }

  /**
   * The unacknowledged changesets with a client version in (`after`, `through`], in order.
   * O(result): pending client versions are consecutive (each local record follows the last,
   * each acknowledgement drops a prefix), so the first one's index is arithmetic.
   */
  pendingBetween(after: number, through: number): PendingChangeset[] {
    const first = this.queue[this.head];
    if (first === undefined) return [];
    const base = first.changeset.clientVersion;
    const from = this.head + Math.max(0, after + 1 - base);
    const to = Math.min(this.queue.length, this.head + Math.max(0, through + 1 - base));
    return from < to ? this.queue.slice(from, to) : [];
  }

  /** The unacknowledged changeset of client version `clientVersion`, if there is one. O(1), as {@link pendingBetween}. */
  pendingEntry(clientVersion: number): PendingChangeset | undefined {
    const index = this.pendingIndex(clientVersion);
    return index === undefined ? undefined : this.queue[index];
  }

  /** Where in `queue` the pending changeset of `clientVersion` is, if it is pending. */
  private pendingIndex(clientVersion: number): number | undefined {
    const first = this.queue[this.head];
    // Below the first pending one it would index the acknowledged prefix not yet dropped.
    if (first === undefined || clientVersion < first.changeset.clientVersion) return undefined;
    const index = this.head + clientVersion - first.changeset.clientVersion;
    return this.queue[index]?.changeset.clientVersion === clientVersion ? index : undefined;
  }
  /** The counters of docs/SEMANTICS.md §3. */
  get progress(): { readonly upload: { readonly transferred: number; readonly transferable: number }; readonly download: { readonly transferred: number; readonly transferable: number } } {
    return {
      upload: { transferred: this.uploadTransferred, transferable: this.uploadTransferable },
      download: { transferred: this.downloadTransferred, transferable: this.downloadTransferred + this.downloadableBytes },
    };
  }
  /** The last `downloadableBytes` the server reported. */
  get downloadable(): number {
    return this.downloadableBytes;
  }

  /** A running estimate of the bytes {@link snapshot} would encode to, without encoding it. */
  get estimatedSnapshotBytes(): number {
    return SNAPSHOT_BASE_BYTES + this.documents.estimatedBytes + this.staged.estimatedBytes + this.unacknowledgedBytes + this.pendingCount * PENDING_ENTRY_BYTES;
  }

  /** Whether `state` documents wait for the DOWNLOAD that ends their batch (see `staged`). */
  get bootstrapping(): boolean {
    return !this.staged.isEmpty;
  }

  /** The staged state of one document (see `staged`): for tests and tools, readers never see it. */
  stagedDocument(type: string, id: string): DocumentState | undefined {
    return this.staged.get(type, id);
  }

  /** Checks then applies a record read from the file; a `Left` means the log is corrupt from this record on. */
  replay(record: StoreRecord): E.Either<string, DocumentKey[]> {
    const problem = this.check(record);
    return problem === undefined ? E.right(this.apply(record)) : E.left(problem);
  }

  /** Why `record` cannot follow the records applied so far, or `undefined` if it can. */
  check(record: StoreRecord): string | undefined {
    if (this.ident === undefined) {
      if (record.kind === 'header') return undefined;
      if (record.kind === 'snapshot') return snapshotProblem(record);
      return `the first record must be a header or a snapshot, not ${record.kind}`;
    }
    switch (record.kind) {
      case 'header':
      case 'snapshot':
        return `a ${record.kind} record can only be the first record`;
      case 'local':
        if (record.changeset.origin !== this.ident) return `local changeset from origin ${record.changeset.origin}, but this file is ${this.ident}`;
        if (record.changeset.clientVersion !== this.version + 1) return `local changeset ${record.changeset.clientVersion} does not follow ${this.version}`;
        return undefined;
      case 'remote':
        if (record.cursor.serverVersion < this.downloadCursor.serverVersion || record.cursor.clientVersion < this.downloadCursor.clientVersion) {
          return `download cursor ${JSON.stringify(record.cursor)} moves back from ${JSON.stringify(this.downloadCursor)}`;
        }
        if (record.cursor.clientVersion > this.version) return `download cursor names client version ${record.cursor.clientVersion} beyond ${this.version}`;
        return undefined;
      case 'state':
        // Merging is a join: any state fits any file, and moves no cursor.
        return undefined;
      case 'ack':
        return record.clientVersion > this.version ? `acknowledgement of client version ${record.clientVersion} beyond ${this.version}` : undefined;
      case 'epoch':
        return undefined;
      case 'compensation':
        return this.compensationProblem(record.clientVersions);
    }
  }

  /** Why the pending changesets `clientVersions` cannot be refused: each must be pending, with operations, named once in order. */
  private compensationProblem(clientVersions: readonly number[]): string | undefined {
    if (clientVersions.length === 0) return 'a compensation names no changeset';
    let previous = this.uploadCursor.clientVersion;
    for (const version of clientVersions) {
      if (version <= previous) return `compensation names client version ${version} after ${previous}: not pending, or out of order`;
      const entry = this.pendingEntry(version);
      if (entry === undefined) return `compensation names client version ${version}, which is not pending`;
      if (entry.changeset.ops.length === 0) return `compensation names client version ${version}, which has no operations`;
      previous = version;
    }
    return undefined;
  }

  /** Applies a record that passed {@link check}; returns the documents whose state changed. */
  apply(record: StoreRecord): DocumentKey[] {
    // Records end up in the state (values, pending changesets): frozen, nobody can edit them behind the log's back.
    deepFreeze(record as unknown as Json);
    switch (record.kind) {
      case 'header':
        this.ident = record.fileIdent;
        return [];
      case 'snapshot':
        return this.load(record);
      case 'local': {
        const { changeset } = record;
        this.base.beforeLocal(this.documents, changeset);
        const changed = this.documents.applyChangeset(changeset);
        const bytes = changesetBytes(changeset);
        this.version = changeset.clientVersion;
        this.clock = maxHlc(this.clock, changeset.hlc);
        this.uploadTransferable += bytes;
        this.queue.push({ changeset, serverVersion: record.serverVersion, bytes });
        this.unacknowledgedBytes += bytes;
        return changed;
      }
      case 'remote': {
        const changed = new Map<string, DocumentKey>();
        // It ends a bootstrap's batch if one was staged: the state first, then its changesets.
        if (!this.staged.isEmpty) {
          for (const { type, id, state } of this.staged.entries()) {
            this.base.mergeRemote(type, id, state);
            if (this.documents.merge(type, id, state)) changed.set(documentKeyOf(type, id), { type, id });
          }
          this.staged = new DocumentSet();
        }
        for (const changeset of record.changesets) {
          this.base.applyRemote(changeset);
          for (const key of this.documents.applyChangeset(changeset)) changed.set(documentKeyOf(key.type, key.id), key);
        }
        this.downloadCursor = record.cursor;
        this.downloadTransferred += record.receivedBytes;
        this.downloadableBytes = record.downloadableBytes;
        this.clock = maxHlc(this.clock, record.hlc);
        return [...changed.values()];
      }
      case 'state': {
        // Staged, not shown: the DOWNLOAD ending the batch applies it (see `staged`).
        for (const entry of record.documents) this.staged.merge(entry.type, entry.id, entryToDocument(entry));
        this.downloadTransferred += record.receivedBytes;
        this.downloadableBytes = record.downloadableBytes;
        this.clock = maxHlc(this.clock, record.hlc);
        return [];
      }
      case 'ack': {
        if (record.clientVersion <= this.uploadCursor.clientVersion) return [];
        let bytes = 0;
        while (this.head < this.queue.length && this.queue[this.head]!.changeset.clientVersion <= record.clientVersion) {
          this.base.acknowledge(this.queue[this.head]!.changeset);
          bytes += this.queue[this.head]!.bytes;
          this.head++;
        }
        if (this.head === this.queue.length) {
          this.queue = [];
          this.head = 0;
        } else if (this.head * 2 >= this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        this.unacknowledgedBytes -= bytes;
        this.uploadTransferred += bytes;
        this.uploadCursor = { clientVersion: record.clientVersion, serverVersion: record.serverVersion };
        return [];
      }
      case 'compensation':
        return this.compensate(record.clientVersions);
      case 'epoch':
        // A staged bootstrap of another epoch belongs to a history that was replaced.
        if (record.epoch !== this.epochValue) this.staged = new DocumentSet();
        this.epochValue = record.epoch;
        return [];
    }
  }

  /**
   * Refuses the pending changesets `clientVersions` (checked by {@link check}): each keeps its
   * client version with no operations, its bytes count as transferred (the server answered them),
   * and each document they touched goes back to its state without the pending changesets, with
   * those the server did not refuse applied again.
   */
  private compensate(clientVersions: readonly number[]): DocumentKey[] {
    const refused = new Set(clientVersions);
    const changed = new Map<string, DocumentKey>();
    const reverted = new Map<string, BaseDocument>();
    const remaining = this.pending.filter((p) => !refused.has(p.changeset.clientVersion)).map((p) => p.changeset);
    for (const version of clientVersions) {
      // `check` made sure every named version is pending.
      const index = this.pendingIndex(version)!;
      const entry = this.queue[index]!;
      const emptied: Changeset = { ...entry.changeset, ops: [] };
      const bytes = changesetBytes(emptied);
      this.queue[index] = { changeset: emptied, serverVersion: entry.serverVersion, bytes };
      this.unacknowledgedBytes -= entry.bytes - bytes;
      this.uploadTransferred += entry.bytes - bytes;
      for (const doc of this.base.refuse(entry.changeset, remaining)) reverted.set(documentKeyOf(doc.type, doc.id), doc);
    }
    for (const [key, { type, id, state }] of reverted) {
      const before = this.documents.get(type, id);
      if (state === undefined) this.documents.delete(type, id);
      else this.documents.set(type, id, state);
      if (before !== state) changed.set(key, { type, id });
    }
    return [...changed.values()];
  }

  /**
   * The tombstones `beforeWall` lets go of (see `tombstone-retention.ts`): older than it, and
   * the server has them.
   */
  expiredTombstones(beforeWall: number): ExpiredTombstone[] {
    if (this.ident === undefined) return [];
    return expiredTombstones(this.documents, { beforeWall, fileIdent: this.ident, firstPending: this.queue[this.head]?.changeset.hlc });
  }

  /** Forgets `expired` (from {@link expiredTombstones}): once the file holds the snapshot without them. */
  forget(expired: readonly ExpiredTombstone[]): void {
    for (const { type, id, after } of expired) {
      if (after === undefined) this.documents.delete(type, id);
      else this.documents.set(type, id, after);
    }
  }

  /** The whole state as one record (compaction), without the tombstones of `expired` (from {@link expiredTombstones}). */
  snapshot(expired: readonly ExpiredTombstone[] = []): SnapshotRecord {
    if (this.ident === undefined) throw new Error('cannot snapshot a realm state that has no file ident');
    return {
      kind: 'snapshot',
      format: STORE_FORMAT,
      fileIdent: this.ident,
      clientVersion: this.version,
      hlc: this.clock,
      epoch: this.epochValue ?? null,
      upload: this.uploadCursor,
      download: this.downloadCursor,
      progress: {
        uploadTransferable: this.uploadTransferable,
        uploadTransferred: this.uploadTransferred,
        downloadTransferred: this.downloadTransferred,
        downloadableBytes: this.downloadableBytes,
      },
      documents: snapshotDocuments(this.documents, expired),
      pending: this.pending.map(({ changeset, serverVersion }) => ({ changeset, serverVersion })),
      ...(this.staged.isEmpty ? {} : { staged: snapshotDocuments(this.staged, []) }),
      ...this.baseEntries(),
    };
  }

  /** The snapshot's `base` and `baseAbsent`, once pending changesets keep any document. */
  private baseEntries(): Pick<SnapshotRecord, 'base' | 'baseAbsent'> {
    if (this.base.size === 0) return {};
    const base: DocumentEntry[] = [];
    const baseAbsent: Array<readonly [string, string]> = [];
    for (const { type, id, state } of this.base.entries()) {
      if (state === undefined) baseAbsent.push([type, id]);
      else base.push(documentToEntry(type, id, state));
    }
    return { base, baseAbsent };
  }

  private load(record: SnapshotRecord): DocumentKey[] {
    this.ident = record.fileIdent;
    this.version = record.clientVersion;
    this.clock = record.hlc;
    this.epochValue = record.epoch ?? undefined;
    this.uploadCursor = record.upload;
    this.downloadCursor = record.download;
    this.uploadTransferable = record.progress.uploadTransferable;
    this.uploadTransferred = record.progress.uploadTransferred;
    this.downloadTransferred = record.progress.downloadTransferred;
    this.downloadableBytes = record.progress.downloadableBytes;
    this.queue = record.pending.map(({ changeset, serverVersion }) => ({ changeset, serverVersion, bytes: changesetBytes(changeset) }));
    this.head = 0;
    this.unacknowledgedBytes = this.queue.reduce((sum, p) => sum + p.bytes, 0);
    this.staged = new DocumentSet();
    for (const entry of record.staged ?? []) this.staged.set(entry.type, entry.id, entryToDocument(entry));
    const loaded = record.documents.map((entry) => {
      this.documents.set(entry.type, entry.id, entryToDocument(entry));
      return { type: entry.type, id: entry.id };
    });
    const kept: BaseDocument[] = [
      ...(record.base ?? []).map((entry) => ({ type: entry.type, id: entry.id, state: entryToDocument(entry) })),
      ...(record.baseAbsent ?? []).map(([type, id]) => ({ type, id, state: undefined })),
    ];
    this.base.load(kept, record.pending.map((p) => p.changeset), this.documents);
    return loaded;
  }
}

/** The snapshot entries of `documents`, those of `expired` as retention leaves them. */
function snapshotDocuments(documents: DocumentSet, expired: readonly ExpiredTombstone[]): DocumentEntry[] {
  const replaced = new Map(expired.map((e) => [documentKeyOf(e.type, e.id), e.after] as const));
  const entries: DocumentEntry[] = [];
  for (const { type, id, state } of documents.entries()) {
    const key = documentKeyOf(type, id);
    const doc = replaced.has(key) ? replaced.get(key) : state;
    if (doc !== undefined) entries.push(documentToEntry(type, id, doc));
  }
  return entries;
}

/** Why a snapshot is inconsistent in itself (pending changesets must continue the acknowledged version up to `clientVersion`). */
function snapshotProblem(record: SnapshotRecord): string | undefined {
  const { clientVersion, upload, download, pending, fileIdent, progress } = record;
  if (upload.clientVersion > clientVersion || download.clientVersion > clientVersion) return 'snapshot cursors name client versions beyond its own';
  if (progress.uploadTransferred > progress.uploadTransferable) return 'snapshot has more upload bytes transferred than transferable';
  for (const [i, entry] of pending.entries()) {
    if (entry.changeset.origin !== fileIdent) return `snapshot pending changeset from origin ${entry.changeset.origin}`;
    if (entry.changeset.clientVersion !== upload.clientVersion + 1 + i) return `snapshot pending changeset ${entry.changeset.clientVersion} out of sequence`;
  }
  if (upload.clientVersion + pending.length !== clientVersion) return 'snapshot pending changesets do not reach its client version';
  return undefined;
}
