/**
 * The durable local realm file: documents written in transactions, and the sync side (pending
 * changesets, cursors, progress) the session runtime drives. One record log underneath; every
 * state change is one record, appended before it takes effect in memory.
 */
import type { Changeset } from '../protocol/changeset.codec.js';
import type { DownloadCursor, UploadCursor } from '../protocol/cursors.codec.js';
import type { DecodedServerChangesets } from '../protocol/decoded-changesets.codec.js';
import type { DecodedDocumentEntries } from '../protocol/decoded-documents.codec.js';
import type { Json } from '../protocol/json.codec.js';
import { resetRealmFile, type ClientResetMode, type ClientResetResult } from './client-reset.js';
import { CompactionPolicy, rewriteAsSnapshot } from './compaction.js';
import { DurableVersions } from './durable-versions.js';
import type { FileLock } from './file-lock.js';
import type { DocumentKey, VisibleObject } from './document-set.js';
import type { DocumentState } from './document-state.js';
import { ListenerSet } from './listener-set.js';
import { localRecord } from './local-record.js';
import type { Logger } from './logger.js';
import { checkType, isNat, safeJson } from './realm-arguments.js';
import type { RandomSource } from '../time/random-source.js';
import { openRealm, type OpenedRealm, type RealmFileOptions, type RealmOpenReport } from './realm-file-open.js';
import type { RealmState } from './realm-state.js';
import { appendRecord, type AppendSync } from './record-append.js';
import type { RecordLog } from './record-log.js';
import { InvalidInputError, RealmClosedError, TransactionStateError } from './store-errors.js';
import type { StoreRecord } from './store-records.js';
import { stateRecord } from './state-record.js';
import { acknowledgementRecord, downloadRecord } from './sync-records.js';
import { TransactionRecorder, type Transaction } from './transaction.js';

export type { Transaction } from './transaction.js';
export type { Durability } from './record-log.js';
export type { ClientResetMode, ClientResetResult } from './client-reset.js';
export type { RefusedRecord } from './record-log.js';
export type { RealmFileOptions, RealmOpenReport } from './realm-file-open.js';

/** What a listener is told after a commit: the documents whose state changed, and who wrote. */
export interface RealmChange {
  readonly changed: ReadonlyArray<DocumentKey>;
  readonly origin: 'local' | 'remote';
}

/** A change listener. */
export type RealmListener = (change: RealmChange) => void;

/** Byte counts of docs/SEMANTICS.md §3, per direction. */
export interface RealmProgress {
  readonly upload: { readonly transferred: number; readonly transferable: number };
  readonly download: { readonly transferred: number; readonly transferable: number };
}

/** The sync cursors and the server history (epoch) they belong to. */
export interface RealmCursors {
  readonly upload: UploadCursor;
  readonly download: DownloadCursor;
  readonly epoch: string | undefined;
}

/**
 * A realm file. All methods are synchronous except {@link flush}; one open instance per file
 * across all processes: an OS lock on `<path>.lock` is held from open to close, and a second
 * open (here or in another process) throws `FileLockedError`.
 */
export class RealmFile {
  /** The file. */
  readonly path: string;
  /** What opening this file found besides its records: a cut tail, refused records, restamped changesets. */
  readonly openReport: RealmOpenReport;
  private ident: string;
  /** Replaced whole by a client reset; otherwise changed only through `append`. */
  private state: RealmState;
  private readonly log: RecordLog;
  private readonly lock: FileLock;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly random: RandomSource;
  private readonly listeners: ListenerSet<RealmChange>;
  private readonly commitListeners: ListenerSet<void>;
  private maxChangesetBytes = Infinity;
  private maxClockLeadMs = Infinity;
  private historyRetentionMs: number | undefined;
  private readonly policy: CompactionPolicy;
  private writing = false;
  private closed = false;
  /** Which local changesets are on stable storage: only those may be uploaded (see {@link pendingChangesets}). */
  private readonly durable: DurableVersions;

  private constructor(opened: OpenedRealm) {
    this.path = opened.path;
    this.openReport = opened.openReport;
    this.ident = opened.fileIdent;
    this.state = opened.state;
    this.log = opened.log;
    this.lock = opened.lock;
    this.logger = opened.logger;
    this.now = opened.now;
    this.random = opened.random;
    this.policy = new CompactionPolicy(opened.compactionFactor);
    this.durable = new DurableVersions(this.log, this.state.clientVersion);
    const isClosed = () => this.closed;
    this.listeners = new ListenerSet(this.logger, 'a realm listener threw; the exception was ignored', { path: this.path }, isClosed);
    this.commitListeners = new ListenerSet(this.logger, 'a realm commit listener threw; the exception was ignored', { path: this.path }, isClosed);
  }

  /**
   * Opens (or creates) the realm file at `options.path`. A torn or corrupt tail is cut at the
   * last whole record and reported through the logger; a whole record whose content is refused
   * (a codec, or the sequence of the records before it) is left out and reported, and the
   * records after it are kept ({@link openReport} says what was found); a new file gets a fresh
   * random ident. Throws `FileLockedError` if the file is open elsewhere (another process, or
   * another `RealmFile` in this one), before reading or changing anything of it.
   */
  static open(options: RealmFileOptions): RealmFile {
    return openRealm(options, (opened) => {
      const realm = new RealmFile(opened);
      realm.maybeCompact();
      return realm;
    });
  }

  /** Who this file is to the server: 16 random hex digits, new after each {@link resetForClientReset}. */
  get fileIdent(): string {
    return this.ident;
  }

  /** Whether {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Version of the last local changeset (0 if none). */
  get clientVersion(): number {
    return this.state.clientVersion;
  }

  /**
   * Upload cursor: the last client version the server acknowledged, and the server version this
   * file had integrated when it committed that changeset. Download cursor: as last integrated.
   */
  get cursors(): RealmCursors {
    return Object.freeze({ upload: this.state.upload, download: this.state.download, epoch: this.state.epoch });
  }

  /**
   * Whether this file holds `state` documents (PROTOCOL.md "Bootstrap and catch-up") that wait
   * for the DOWNLOAD ending their batch: readers see none of them until it comes, then all at once.
   */
  get bootstrapping(): boolean {
    return this.state.bootstrapping;
  }

  /** The state of one document of a bootstrap not applied yet (see {@link bootstrapping}); readers never see it. For tests and tools. */
  stagedDocument(type: string, id: string): DocumentState | undefined {
    return this.state.stagedDocument(type, id);
  }

  /**
   * Progress bytes: upload transferable counts every local changeset ever committed, transferred
   * those acknowledged; download transferred counts every changeset a DOWNLOAD delivered (echoes
   * of this file's own included: they were transferred) and every document a `state` message
   * delivered, transferable adds the last `downloadableBytes` reported.
   */
  get progress(): RealmProgress {
    return this.state.progress;
  }

  /**
   * Runs `fn` as one atomic transaction: its operations become one changeset, one record, one
   * append; durable (per durability) before listeners hear of it. If `fn` throws, nothing is
   * written and the exception propagates; if it records nothing, nothing is written. Reads
   * inside `fn` see the state before the transaction. Returns what `fn` returned.
   */
  write<T>(fn: (tx: Transaction) => T): T {
    this.assertOpen('write');
    if (this.writing) throw new TransactionStateError('write() inside write(): a transaction cannot contain another one');
    if (typeof fn !== 'function') throw new InvalidInputError('write() needs a function (tx) => …');
    const tx = new TransactionRecorder();
    let result: T;
    this.writing = true;
    try {
      result = fn(tx);
    } finally {
      this.writing = false;
      tx.end();
    }
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      throw new TransactionStateError('the write() callback returned a promise: transactions are synchronous, nothing was written');
    }
    const ops = tx.operations;
    if (ops.length === 0) return result;
    const { record, payload } = localRecord(this.state, this.ident, ops, this.now, this.maxChangesetBytes);
    this.commit(record, 'local', payload);
    this.commitListeners.call();
    return result;
  }

  /**
   * The most bytes (`changesetBytes`) one local changeset may have: a {@link write} over it
   * throws {@link InvalidInputError} and writes nothing. The sync runtime sets the server's
   * limit, which it hears at IDENT, so that nothing is committed that could never be uploaded.
   * Changesets already in the file are not affected. Default: no limit.
   */
  limitChangesetBytes(limit: number): void {
    if (!(limit === Infinity || isNat(limit))) throw new InvalidInputError(`limitChangesetBytes: ${String(limit)} is not a byte count`);
    this.maxChangesetBytes = limit;
  }

  /**
   * Starts the file over for a new server history (a client reset). `discard` drops every
   * document and every unacknowledged local changeset; `recover` drops the documents too, then
   * replays the operations of each unacknowledged changeset, in order, as a new local changeset
   * (fresh HLC stamps, so they win over the older server state they will meet). Either way the
   * file gets a new random ident (the server's history of the old one is gone), client version 0
   * before the replay, zero cursors and no epoch ({@link setEpoch} sets the new one); the HLC
   * never goes back, and progress stays monotonic (see `clientResetSnapshot`).
   *
   * The reset state, replay included, is built in memory and replaces the file in one atomic
   * rewrite (a scratch file, fsynced, renamed over the file, the directory fsynced): a crash at
   * any instant leaves the old file (whose stale epoch asks for the reset again) or the reset
   * file holding every unacknowledged changeset exactly once, as pending uploads 1..n of the
   * new ident. The reset file has no epoch, so reopening it never resets it again. If the
   * rewrite throws, nothing changed in memory (the log may then refuse further writes: reopen).
   * Listeners hear one `remote` change naming every document whose visible state changed, at
   * once (the rewrite made it durable). Throws inside {@link write} and on a closed file.
   */
  resetForClientReset(mode: ClientResetMode): ClientResetResult {
    this.assertSyncCall('resetForClientReset');
    if (mode !== 'discard' && mode !== 'recover') throw new InvalidInputError(`resetForClientReset: mode must be 'discard' or 'recover', not ${safeJson(mode)}`);
    const { changed, result } = resetRealmFile(
      {
        path: this.path,
        log: this.log,
        state: this.state,
        fileIdent: this.ident,
        logger: this.logger,
        now: this.now,
        random: this.random,
        startOver: (state, fileIdent) => {
          this.state = state;
          this.ident = fileIdent;
          // Everything in the file is durable: the replayed changesets may be uploaded at once.
          this.durable.startedOver(state.clientVersion);
        },
      },
      mode,
    );
    if (changed.length > 0) this.listeners.call({ changed: Object.freeze(changed), origin: 'remote' });
    return result;
  }

  /**
   * A frozen copy of every visible document, by type (types without any left out): what a
   * client reset's `onBefore`/`onAfter` callbacks read. Later writes do not change it.
   */
  snapshotDocuments(): Readonly<Record<string, ReadonlyArray<VisibleObject>>> {
    this.assertOpen('snapshotDocuments');
    return this.state.documents.visibleByType();
  }

  /** The visible documents of `type`, sorted by id. The array and its objects are frozen. */
  objects(type: string): ReadonlyArray<VisibleObject> {
    this.assertOpen('objects');
    checkType(type);
    return this.state.documents.list(type);
  }

  /** The visible fields of document (type, id), frozen, or `undefined` if it does not exist (or was deleted). */
  objectForPrimaryKey(type: string, id: string): Readonly<Record<string, Json>> | undefined {
    this.assertOpen('objectForPrimaryKey');
    checkType(type);
    if (typeof id !== 'string' || id.length === 0) throw new InvalidInputError('objectForPrimaryKey: the id must be a non-empty string');
    return this.state.documents.visible(type, id);
  }

  /**
   * Calls `listener` after each commit that changed documents (local writes and integrated
   * downloads), once durable per durability: synchronously at the end of the commit with `full`,
   * after the batch fsync with `batched`. Never inside a transaction; an exception in a listener
   * is logged and swallowed. Returns the unsubscribe function.
   */
  addListener(listener: RealmListener): () => void {
    this.assertOpen('addListener');
    if (typeof listener !== 'function') throw new InvalidInputError('addListener needs a function');
    return this.listeners.add(listener);
  }

  /**
   * How far (ms) ahead of the physical clock a downloaded stamp may drag this file's clock: a
   * wall further ahead is followed only to that lead (see `receive` in `hlc.ts`). The sync
   * runtime sets twice the server's `maxClockSkewMs`, which it hears at IDENT: a stamp the
   * server should never have taken (a history from before the check) then cannot make every
   * later local commit one the server refuses. Default: no limit.
   */
  limitClockLead(limitMs: number): void {
    if (!(limitMs === Infinity || isNat(limitMs))) throw new InvalidInputError(`limitClockLead: ${String(limitMs)} is not a duration in ms`);
    this.maxClockLeadMs = limitMs;
  }

  /**
   * Calls `listener` at the end of every local commit, synchronously and before it is durable
   * under `batched` (unlike {@link addListener}): the sync runtime counts a commit as soon as
   * `write` returned, so a `waitForUpload` called next covers it. An exception in a listener is
   * logged and swallowed. Returns the unsubscribe function.
   */
  addCommitListener(listener: () => void): () => void {
    this.assertOpen('addCommitListener');
    if (typeof listener !== 'function') throw new InvalidInputError('addCommitListener needs a function');
    return this.commitListeners.add(listener);
  }

  /** Resolves once every commit so far is on stable storage (at once with `full`, or once closed). */
  flush(): Promise<void> {
    return this.closed ? Promise.resolve() : this.log.flush();
  }

  /**
   * Local changesets with a client version above `afterClientVersion`, in order. Only those not
   * yet acknowledged are kept, and only those already on stable storage are returned: with
   * `batched` durability a changeset becomes uploadable after its fsync, because one uploaded and
   * then lost to a power failure would have its client version reused for different content.
   */
  pendingChangesets(afterClientVersion: number): Changeset[] {
    this.assertOpen('pendingChangesets');
    if (!isNat(afterClientVersion)) throw new InvalidInputError(`pendingChangesets: ${String(afterClientVersion)} is not a client version`);
    // O(result), not O(pending): a session asks after every commit while thousands may be unacknowledged.
    return this.state.pendingBetween(afterClientVersion, this.durable.version).map((p) => p.changeset);
  }

  /**
   * The server integrated local changesets up to `clientVersion`. Monotonic: a value at or below
   * the current acknowledgement is ignored; one above {@link clientVersion} throws.
   */
  acknowledgeUpload(clientVersion: number): void {
    this.assertSyncCall('acknowledgeUpload');
    const record = acknowledgementRecord(this.state, clientVersion);
    // Not synced on its own (see `AppendSync`): lost to power failure, the acknowledged
    // changesets are pending again, and uploading them again is harmless — the server skips
    // the client versions it integrated and acknowledges them again.
    if (record !== undefined) this.append(record, 'lazily');
  }

  /**
   * The server refused the pending changesets `clientVersions` (a compensating write, PROTOCOL.md
   * "Compensating writes"): each keeps its client version with no operations, so it is uploaded
   * again empty and the versions after it still follow, and the documents they touched go back to
   * what the server's writes made them, with the pending changesets it did not refuse applied
   * again. One record, on stable storage before this returns whatever the durability: an emptied
   * changeset the server acknowledged while the file, after a power failure, still held the
   * refused one would keep the refused write here for good. Versions that are not pending, or
   * pending already without operations (a refusal heard twice), are left out; returns those that
   * were refused. Listeners hear `remote`.
   */
  compensate(clientVersions: readonly number[]): number[] {
    this.assertSyncCall('compensate');
    if (!Array.isArray(clientVersions) || !clientVersions.every(isNat)) throw new InvalidInputError('compensate: clientVersions must be an array of client versions');
    const named = [...new Set(clientVersions)].sort((a, b) => a - b).filter((v) => (this.state.pendingEntry(v)?.changeset.ops.length ?? 0) > 0);
    if (named.length === 0) return [];
    const record: StoreRecord = { kind: 'compensation', clientVersions: named };
    const changed = this.append(record, 'now');
    if (changed.length > 0 && !this.closed) this.listeners.call({ changed: Object.freeze(changed), origin: 'remote' });
    return named;
  }

  /**
   * Applies a DOWNLOAD: the changesets (those whose origin is this file are skipped: they are
   * applied already), the download cursor after them and the bytes still downloadable (if
   * omitted, the last value reported stays), all in one record, so they are durable together.
   * A cursor that moves back throws {@link CursorRegressionError}. Listeners hear `remote`.
   * The changesets are what decoding made (`decodeServerMessage` for every DOWNLOAD, or
   * `DecodedServerChangesetsCodec.decode`): what is stored is what the codec read (unknown keys
   * dropped), not what was sent.
   */
  integrateDownload(changesets: DecodedServerChangesets, cursor: { serverVersion: number; clientVersion: number }, downloadableBytes?: number): void {
    this.assertSyncCall('integrateDownload');
    const encoded = downloadRecord(this.state, this.ident, { changesets, cursor, downloadableBytes }, { now: this.now, maxLeadMs: this.maxClockLeadMs });
    if (encoded === undefined) return;
    const { record, payload } = encoded;
    // A DOWNLOAD with nothing from other files only moves the cursor past this file's own
    // echoes and updates what is left to download: not synced on its own (see `AppendSync`).
    // Lost to power failure, the cursor is older and the server sends those changesets again,
    // which integrating is harmless (they are this file's own, applied). One that ends a staged
    // bootstrap shows documents: a commit, durable before listeners hear them.
    if (record.changesets.length === 0 && !this.state.bootstrapping) this.append(record, 'lazily', payload);
    else this.commit(record, 'remote', payload);
  }

  /**
   * Stages the documents of one `state` message (PROTOCOL.md "Bootstrap and catch-up"), in one
   * durable record: each is joined with what is staged of it (`mergeDocumentStates`: per field
   * the greater stamp wins, the greater tombstone hides what it covers), so a message merged
   * again, after a disconnect or a crash, changes nothing more. Readers see none of them yet:
   * the DOWNLOAD that ends the batch (`integrateDownload`) merges them all into the file's
   * documents at once, moves the download cursor, and listeners hear `remote` then; an epoch
   * other than the file's (`setEpoch`) discards them. `downloadableBytes` is what the server
   * still has; the documents' bytes (UTF-8 of their JSON) count as downloaded. The documents are
   * what decoding made (`decodeServerMessage` for every `state` message, or
   * `DecodedDocumentEntriesCodec.decode`).
   */
  integrateState(documents: DecodedDocumentEntries, downloadableBytes: number): void {
    this.assertSyncCall('integrateState');
    const encoded = stateRecord(this.state, documents, downloadableBytes, { now: this.now, maxLeadMs: this.maxClockLeadMs });
    if (encoded === undefined) return;
    const { record, payload } = encoded;
    // Only the bytes left changed: not synced on its own (see `AppendSync`), like an empty DOWNLOAD.
    if (record.documents.length === 0) this.append(record, 'lazily', payload);
    else this.commit(record, 'remote', payload);
  }

  /**
   * How long (ms) the server keeps tombstones (its IDENT's `historyRetentionMs`): compaction
   * then leaves out each tombstone stamped longer ago than that which the server has (one that
   * came from it, or whose local changeset it acknowledged), and a document left with no field
   * altogether. `undefined` (the default, and what a server that names none means) keeps every
   * tombstone.
   */
  retainTombstones(retentionMs: number | undefined): void {
    if (!(retentionMs === undefined || (isNat(retentionMs) && retentionMs > 0))) throw new InvalidInputError(`retainTombstones: ${String(retentionMs)} is not a positive duration in ms`);
    this.historyRetentionMs = retentionMs;
  }

  /** Records the server history (epoch) the cursors belong to; setting the current epoch again does nothing. */
  setEpoch(epoch: string): void {
    this.assertSyncCall('setEpoch');
    if (typeof epoch !== 'string' || epoch.length === 0) throw new InvalidInputError('setEpoch: the epoch must be a non-empty string');
    if (epoch === this.state.epoch) return;
    const record: StoreRecord = { kind: 'epoch', epoch };
    // A file's first epoch is not synced on its own (one fsync per session bind, thousands when
    // thousands bind): the epoch only qualifies cursors, and every record that moves a cursor
    // (a download, an acknowledgement) is synced after it, which syncs it too. Lost to power
    // failure with no such record after it, the file reopens with no epoch and cursors at zero:
    // its next IDENT carries no cursors, as the first one did, and the server starts it over.
    // An epoch that replaces another (the server's empty history started a new one) is synced,
    // so a reopen never presents the old epoch to a history that has since grown.
    if (this.state.epoch === undefined) this.append(record, 'lazily');
    else this.commit(record, 'remote');
  }

  /**
   * Rewrites the file as one snapshot (plus the unacknowledged changesets inside it) now,
   * whatever its size. Commits do this on their own when it pays (see `compaction.ts`).
   */
  compact(): void {
    this.assertSyncCall('compact');
    this.compactNow('requested');
  }

  /**
   * Syncs and closes the file, then lets go of its lock (even if the sync failed: the file is
   * closed either way). Idempotent. Listeners are dropped; batched notifications not yet
   * delivered are not.
   */
  close(): void {
    if (this.closed) return;
    if (this.writing) throw new TransactionStateError('close() inside write(): let the transaction finish first');
    this.closed = true;
    this.listeners.clear();
    this.commitListeners.clear();
    try {
      this.log.close();
    } finally {
      this.lock.release();
    }
  }

  /** Appends `record`, applies it, and tells listeners once it is durable. */
  private commit(record: StoreRecord, origin: 'local' | 'remote', payload?: Buffer): void {
    this.announce(this.append(record, 'synced', payload), origin);
  }

  /** The append path (`appendRecord`), then compaction if it pays; returns the documents `record` changed. */
  private append(record: StoreRecord, sync: AppendSync, payload?: Buffer): DocumentKey[] {
    const changed = appendRecord(this.log, this.state, record, sync, payload);
    this.maybeCompact();
    return changed;
  }

  /** Once what was appended so far is durable: the changesets become uploadable, listeners hear of `changed`. */
  private announce(changed: DocumentKey[], origin: 'local' | 'remote'): void {
    this.durable.committed(
      this.state.clientVersion,
      () => {
        if (changed.length > 0 && !this.closed) this.listeners.call({ changed: Object.freeze(changed), origin });
      },
      (error: unknown) => this.logger.warn('a batched commit could not be made durable; listeners were not called', { path: this.path, error: String(error) }),
    );
  }

  private maybeCompact(): void {
    if (this.policy.shouldCompact(this.log.sizeBytes, this.state.estimatedSnapshotBytes)) this.compactNow('automatic');
  }

  /** Rewrites the file as one snapshot (`rewriteAsSnapshot`); `reason` is for the log. */
  private compactNow(reason: string): void {
    const { path, log, state, policy, logger } = this;
    const now = this.now();
    const tombstonesBeforeWall = this.historyRetentionMs === undefined || !Number.isFinite(now) ? undefined : now - this.historyRetentionMs;
    if (rewriteAsSnapshot({ path, log, state, policy, logger, tombstonesBeforeWall }, reason)) this.durable.rewritten(this.state.clientVersion);
  }

  /** `verb` is the method's name: what `RealmClosedError.operation` reports. */
  private assertOpen(verb: string): void {
    if (this.closed) throw new RealmClosedError(this.path, verb);
  }

  private assertSyncCall(verb: string): void {
    this.assertOpen(verb);
    if (this.writing) throw new TransactionStateError(`cannot call ${verb}() on realm file ${this.path} inside write()`);
  }
}
