/**
 * The durable local realm file: documents written in transactions, and the sync side (pending
 * changesets, cursors, progress) the session runtime drives. One record log underneath; every
 * state change is one record, appended before it takes effect in memory.
 */
import * as E from 'fp-ts/lib/Either.js';
import { changesetBytes, type Changeset, type Operation } from '../protocol/changeset.codec.js';
import { DownloadCursorCodec, type DownloadCursor, type UploadCursor } from '../protocol/cursors.codec.js';
import type { DecodedServerChangesets } from '../protocol/decoded-changesets.codec.js';
import type { Json } from '../protocol/json.codec.js';
import { resetRealmFile, type ClientResetMode, type ClientResetResult } from './client-reset.js';
import { CompactionPolicy } from './compaction.js';
import { DurableVersions } from './durable-versions.js';
import { newFileIdent } from './file-ident.js';
import { acquireFileLock, lockPathOfFile, type FileLock } from './file-lock.js';
import type { DocumentKey, VisibleObject } from './document-set.js';
import { receive, tick } from './hlc.js';
import { silentLogger, type Logger } from './logger.js';
import { RealmState } from './realm-state.js';
import { appendRecord, type AppendSync } from './record-append.js';
import { openRecordLog, type Durability, type RecordLog, type RefusedRecord } from './record-log.js';
import { CursorRegressionError, InvalidInputError, RealmClosedError, StoreError, TransactionStateError } from './store-errors.js';
import { encodeRemoteChangesets, encodeRemoteRecord } from './remote-record.js';
import { decodeStoreRecord, encodeStoreRecord, STORE_FORMAT, type LocalRecord, type RemoteRecord, type StoreRecord } from './store-records.js';
import { TransactionRecorder, type Transaction } from './transaction.js';

export type { Transaction } from './transaction.js';
export type { Durability } from './record-log.js';
export type { ClientResetMode, ClientResetResult } from './client-reset.js';
export type { RefusedRecord } from './record-log.js';

/** Options of {@link RealmFile.open}. */
export interface RealmFileOptions {
  /** The file; created with its directory if missing. */
  path: string;
  /** When a commit is on stable storage (see {@link Durability}). Default `full`. */
  durability?: Durability;
  /** Recovery, compaction and listener failures are reported here. Default: silent. */
  logger?: Logger;
  /** The physical clock in ms (HLC input); injectable for tests. Default `Date.now`. */
  now?: () => number;
  /** See `DEFAULT_COMPACTION_FACTOR` in `compaction.ts`. Default 4. */
  compactionFactor?: number;
  /**
   * If the file does not exist, create it at the first commit that is synced, or at `close`,
   * not at open (see `RecordLogOptions.createLazily`). The sync runtime opens files this way:
   * a session that binds and never writes (thousands on one socket) costs no file creation
   * until it closes. Default false.
   */
  createLazily?: boolean;
}

/**
 * What opening a realm file found beyond its records: a torn or corrupt tail cut off, whole
 * records whose content was refused (left out, the records after them kept), and local
 * changesets read with a new stamp because the one they were written with was past the safe
 * integers (written by a clock before the HLC had bounds; see `decodeStoreRecord`).
 */
export interface RealmOpenReport {
  readonly truncatedBytes: number;
  readonly refusedRecords: readonly RefusedRecord[];
  readonly restampedChangesets: number;
}

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

const isNat = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/**
 * A realm file. All methods are synchronous except {@link flush}; one open instance per file
 * across all processes: an OS lock on `<path>.lock` is held from open to close, and a second
 * open (here or in another process) throws `FileLockedError`.
 */
export class RealmFile {
  private readonly listeners = new Set<RealmListener>();
  private readonly commitListeners = new Set<() => void>();
  private maxChangesetBytes = Infinity;
  private maxClockLeadMs = Infinity;
  private readonly policy: CompactionPolicy;
  private writing = false;
  private closed = false;
  /** Which local changesets are on stable storage: only those may be uploaded (see {@link pendingChangesets}). */
  private readonly durable: DurableVersions;

  private constructor(
    readonly path: string,
    private ident: string,
    private readonly log: RecordLog,
    /** Replaced whole by a client reset; otherwise changed only through `apply`. */
    private state: RealmState,
    private readonly logger: Logger,
    private readonly now: () => number,
    compactionFactor: number | undefined,
    /** What opening this file found besides its records: a cut tail, refused records, restamped changesets. */
    readonly openReport: RealmOpenReport,
    private readonly lock: FileLock,
  ) {
    this.policy = new CompactionPolicy(compactionFactor);
    this.durable = new DurableVersions(log, state.clientVersion);
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
    if (typeof options !== 'object' || options === null) throw new InvalidInputError('RealmFile.open needs an options object');
    const { path, durability, now = Date.now, compactionFactor } = options;
    const logger = options.logger ?? silentLogger;
    if (typeof path !== 'string' || path.length === 0) throw new InvalidInputError('RealmFile.open: path must be a non-empty string');
    if (typeof now !== 'function') throw new InvalidInputError('RealmFile.open: now must be a function returning milliseconds');
    // Checked before the file is touched, so a bad option never leaves a file behind.
    new CompactionPolicy(compactionFactor);

    // Before the log is opened: opening reads the file and may cut its tail or remove the
    // scratch file of a rewrite, which are the holder's to do.
    const lock = acquireFileLock(path, lockPathOfFile(path));
    const state = new RealmState();
    let restampedChangesets = 0;
    // A stamp past the safe integers is read as the file's next reading (see `decodeStoreRecord`).
    const restamp = () => {
      restampedChangesets++;
      return tick(state.hlc, 0);
    };
    let opened: ReturnType<typeof openRecordLog>;
    try {
      opened = openRecordLog(path, {
        ...(durability === undefined ? {} : { durability }),
        createLazily: options.createLazily === true,
        logger,
        // Every record stands on its own, checked against the state before it: one refused must
        // not take the commits after it (docs/SEMANTICS.md §7.4: nothing acknowledged is lost).
        refusedRecords: 'skip',
        decode: (payload: Buffer) => E.chain((record: StoreRecord) => state.replay(record))(decodeStoreRecord(payload, restamp)),
      });
    } catch (error) {
      lock.release();
      throw error;
    }
    const { log, recovered, refused } = opened;
    const openReport: RealmOpenReport = Object.freeze({ truncatedBytes: recovered.truncatedBytes, refusedRecords: Object.freeze([...refused]), restampedChangesets });
    if (restampedChangesets > 0) {
      logger.warn('realm file: local changesets stamped past the safe integers (before the HLC had bounds) were read with new stamps', { path, restampedChangesets });
    }
    try {
      let ident = state.fileIdent;
      if (ident === undefined) {
        ident = newFileIdent();
        const header: StoreRecord = { kind: 'header', format: STORE_FORMAT, fileIdent: ident };
        // Not synced on its own: a header lost to power failure before anything else in the
        // file was synced leaves a file that opens as new (another ident); nothing written to
        // it was reported durable, and the first commit that is syncs the header with it.
        log.appendLazily([encodeStoreRecord(header)]);
        state.apply(header);
        logger.info('created realm file', { path: log.path, fileIdent: ident });
      }
      const realm = new RealmFile(path, ident, log, state, logger, now, compactionFactor, openReport, lock);
      realm.maybeCompact();
      return realm;
    } catch (error) {
      try {
        log.close();
      } finally {
        lock.release();
      }
      throw error;
    }
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
   * Progress bytes: upload transferable counts every local changeset ever committed, transferred
   * those acknowledged; download transferred counts every changeset a DOWNLOAD delivered (echoes
   * of this file's own included: they were transferred), transferable adds the last
   * `downloadableBytes` reported.
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
    const record = this.localRecord(ops);
    const payload = encodeStoreRecord(record);
    // The record holds the changeset's JSON, so only a record over the limit needs measuring.
    if (payload.length > this.maxChangesetBytes) {
      const bytes = changesetBytes(record.changeset);
      if (bytes > this.maxChangesetBytes) {
        throw new InvalidInputError(`write(): the changeset is ${bytes} bytes, over the limit of ${this.maxChangesetBytes} bytes (the sync server's maxChangesetBytes); nothing was written`);
      }
    }
    this.commit(record, 'local', payload);
    this.notifyCommitted();
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
        startOver: (state, fileIdent) => {
          this.state = state;
          this.ident = fileIdent;
          // Everything in the file is durable: the replayed changesets may be uploaded at once.
          this.durable.startedOver(state.clientVersion);
        },
      },
      mode,
    );
    if (changed.length > 0) this.notify({ changed: Object.freeze(changed), origin: 'remote' });
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
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
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
    this.commitListeners.add(listener);
    return () => {
      this.commitListeners.delete(listener);
    };
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
    if (!isNat(clientVersion)) throw new InvalidInputError(`acknowledgeUpload: ${String(clientVersion)} is not a client version`);
    if (clientVersion > this.state.clientVersion) {
      throw new InvalidInputError(`acknowledgeUpload(${clientVersion}): this file's last changeset is ${this.state.clientVersion}`);
    }
    if (clientVersion <= this.state.upload.clientVersion) return;
    const entry = this.state.pendingEntry(clientVersion);
    if (entry === undefined) throw new StoreError(`acknowledgeUpload(${clientVersion}): no pending changeset has that version (internal inconsistency)`);
    // Not synced on its own (see `AppendSync`): lost to power failure, the acknowledged
    // changesets are pending again, and uploading them again is harmless — the server skips
    // the client versions it integrated and acknowledges them again.
    this.append({ kind: 'ack', clientVersion, serverVersion: entry.serverVersion }, 'lazily');
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
    // The type says the changesets were decoded (`DecodedServerChangesetsCodec`), so they are not
    // validated again; only a caller outside the type system can pass something else.
    if (!Array.isArray(changesets)) throw new InvalidInputError('integrateDownload: changesets must be an array');
    if (!DownloadCursorCodec.is(cursor)) throw new InvalidInputError(`integrateDownload: bad download cursor ${safeJson(cursor)}`);
    if (downloadableBytes !== undefined && !isNat(downloadableBytes)) throw new InvalidInputError(`integrateDownload: downloadableBytes ${String(downloadableBytes)} is not a byte count`);
    const current = this.state.download;
    if (cursor.serverVersion < current.serverVersion || cursor.clientVersion < current.clientVersion) {
      throw new CursorRegressionError(`download cursor would move back from ${safeJson(current)} to ${safeJson(cursor)}`);
    }
    if (cursor.clientVersion > this.state.clientVersion) {
      throw new InvalidInputError(`integrateDownload: the cursor names client version ${cursor.clientVersion}, but this file's last changeset is ${this.state.clientVersion}`);
    }
    const downloadable = downloadableBytes ?? this.state.downloadable;
    if (changesets.length === 0 && downloadable === this.state.downloadable && cursor.serverVersion === current.serverVersion && cursor.clientVersion === current.clientVersion) {
      return;
    }
    const encoded = encodeRemoteChangesets(changesets, this.fileIdent);
    const physical = this.now();
    const record: RemoteRecord = {
      kind: 'remote',
      changesets: encoded.remote,
      cursor: { serverVersion: cursor.serverVersion, clientVersion: cursor.clientVersion },
      receivedBytes: encoded.receivedBytes,
      downloadableBytes: downloadable,
      hlc: encoded.remote.reduce((last, c) => receive(last, c.hlc, physical, this.maxClockLeadMs), this.state.hlc),
    };
    const payload = encodeRemoteRecord(record, encoded.json);
    // A DOWNLOAD with nothing from other files only moves the cursor past this file's own
    // echoes and updates what is left to download: not synced on its own (see `AppendSync`).
    // Lost to power failure, the cursor is older and the server sends those changesets again,
    // which integrating is harmless (they are this file's own, applied).
    if (record.changesets.length === 0) this.append(record, 'lazily', payload);
    else this.commit(record, 'remote', payload);
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
    this.rewriteAsSnapshot('requested');
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

  /** The record of the next local changeset, made of `ops`. */
  private localRecord(ops: readonly Operation[]): LocalRecord {
    const changeset: Changeset = {
      clientVersion: this.state.clientVersion + 1,
      origin: this.ident,
      hlc: tick(this.state.hlc, this.now()),
      ops,
    };
    return { kind: 'local', changeset, serverVersion: this.state.download.serverVersion };
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
        if (changed.length > 0 && !this.closed) this.notify({ changed: Object.freeze(changed), origin });
      },
      (error: unknown) => this.logger.warn('a batched commit could not be made durable; listeners were not called', { path: this.path, error: String(error) }),
    );
  }

  private notify(change: RealmChange): void {
    for (const listener of [...this.listeners]) {
      // A listener may close the realm: the others are not called on a closed file.
      if (this.closed) return;
      try {
        listener(change);
      } catch (error) {
        this.logger.warn('a realm listener threw; the exception was ignored', { path: this.path, error: error instanceof Error ? error.stack ?? error.message : String(error) });
      }
    }
  }

  private notifyCommitted(): void {
    for (const listener of [...this.commitListeners]) {
      if (this.closed) return;
      try {
        listener();
      } catch (error) {
        this.logger.warn('a realm commit listener threw; the exception was ignored', { path: this.path, error: error instanceof Error ? error.stack ?? error.message : String(error) });
      }
    }
  }

  private maybeCompact(): void {
    if (this.policy.shouldCompact(this.log.sizeBytes, this.state.estimatedSnapshotBytes)) this.rewriteAsSnapshot('automatic');
  }

  private rewriteAsSnapshot(reason: string): void {
    const estimated = this.state.estimatedSnapshotBytes;
    const before = this.log.sizeBytes;
    const payload = encodeStoreRecord(this.state.snapshot());
    // Never replace a file with one that would not open: decode and check the snapshot first.
    const problem = E.fold((left: string) => left, (record: StoreRecord) => new RealmState().check(record))(decodeStoreRecord(payload));
    if (problem !== undefined) {
      this.logger.warn('compaction skipped: the snapshot would not read back', { path: this.path, problem });
      return;
    }
    try {
      this.log.rewrite([payload]);
    } catch (error) {
      this.logger.warn('compaction failed; the file keeps its records', { path: this.path, error: String(error) });
      return;
    }
    this.policy.calibrate(estimated, payload.length);
    this.durable.rewritten(this.state.clientVersion);
    this.logger.info('compacted realm file', { path: this.path, reason, bytesBefore: before, bytesAfter: this.log.sizeBytes, estimatedSnapshotBytes: estimated });
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

function checkType(type: unknown): void {
  if (typeof type !== 'string' || type.length === 0) throw new InvalidInputError('the type must be a non-empty string');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
