/**
 * One partition of the file backend: a state file plus tail segments in its own directory
 * (`partition-files.ts`), and in memory only their bookkeeping. See `PartitionHandle`.
 */
import type { FileSystem } from '../../../store/file-system.js';
import { randomHex, type RandomSource } from '../../../time/random-source.js';
import { join } from 'node:path';
import type { Changeset, ServerChangeset } from '../../../protocol/changeset.codec.js';
import { changesetsKeyProblem, keyProblem } from '../../../protocol/keys.js';
import { fsyncDirectory, makeDirectoryDurably, removeQuietly, writeFileDurably } from '../../../store/durable-fs.js';
import type { Logger } from '../../../store/logger.js';
import { RECORD_HEADER_BYTES, RECORD_LOG_MAGIC, encodeRecords } from '../../../store/record-framing.js';
import { openRecordLog, tempPathOf, type RecordLog } from '../../../store/record-log.js';
import type { FileHolder, OpenFileBudget } from '../../open-file-budget.js';
import type { Appended, FoldReport, Folded, OriginState, PartitionHandle, Refreshed, ResetMode, StateReader, TailBatch } from '../server-storage.js';
import { touchedDocuments } from './document-merge.js';
import { openStateReader } from './file-state-reader.js';
import { partitionDirectory, STATE_FILE, tailSegmentFirst, tailSegmentName } from './partition-files.js';
import { emptyGeneration, scanStateFile, type StateGeneration } from './state-generation.js';
import { encodeStateMeta, type StateHeader } from './state-records.js';
import { rewriteState } from './state-writer.js';
import { TailIndex, type TailEntry } from './tail-index.js';
import { encodeTailRecord } from './tail-records.js';
import { openSegments, readChangesetJson, readChangesets, Segment } from './tail-segments.js';

/** When the store folds a partition on its own (see `FilePartitionStoreOptions.foldPolicy`). */
export interface FoldPolicy {
  /** Fold once the tail holds more than this many bytes… (default 1 MiB) */
  readonly minTailBytes: number;
  /** …and more than this fraction of the state's bytes (default 0.5). */
  readonly tailFraction: number;
  /** At most this many bytes of changesets are folded per state rewrite: a fold's memory bound (default 16 MiB). */
  readonly chunkBytes: number;
}

/** What a partition needs from its store. */
export interface FilePartitionOptions {
  readonly durability: 'full' | 'batched';
  readonly logger: Logger;
  readonly files: OpenFileBudget | undefined;
  readonly foldPolicy: FoldPolicy;
  /** For the folds the partition starts on its own. */
  readonly historyRetentionMs: number;
  readonly now: () => number;
  /** The file port the partition's files are on. */
  readonly fileSystem: FileSystem;
  /** Where new epochs come from. */
  readonly random: RandomSource;
}

const newEpoch = (random: RandomSource): string => randomHex(random, 6);

interface OriginRow {
  clientVersion: number;
  owner: string | undefined;
}

/** The file backend's {@link PartitionHandle}. */
export class FilePartition implements PartitionHandle, FileHolder {
  private readonly dir: string;
  private generation: StateGeneration;
  private tail: TailIndex;
  /** The origins table as of the state's version (what its header holds). */
  private baseOrigins: Map<string, OriginRow>;
  /** The newest client version written per origin (durable or not) and its owner. */
  private readonly written = new Map<string, OriginRow>();
  private readonly segments = new Map<number, Segment>();
  private writer: { readonly segment: Segment; readonly log: RecordLog } | undefined;
  private durable: number;
  /** Whether the partition has its directory and state file (a partition never written has neither). */
  private created: boolean;
  private foldChain: Promise<unknown> = Promise.resolve();
  private foldsRunning = 0;
  /** Set while a reset runs: appends wait for it. */
  private exclusive: Promise<unknown> | undefined;
  private failure: Error | undefined;
  private closed = false;

  private constructor(
    root: string,
    readonly partition: string,
    private readonly options: FilePartitionOptions,
    generation: StateGeneration,
    created: boolean,
    segments: readonly Segment[],
    entries: readonly TailEntry[],
  ) {
    this.dir = partitionDirectory(root, partition);
    this.generation = generation;
    this.created = created;
    this.tail = new TailIndex(generation.header.stateVersion);
    this.baseOrigins = new Map(generation.header.origins.map(([origin, clientVersion, owner]) => [origin, { clientVersion, owner: owner ?? undefined }]));
    for (const [origin, row] of this.baseOrigins) this.written.set(origin, { ...row });
    for (const segment of segments) this.segments.set(segment.first, segment);
    for (const entry of entries) this.note(entry);
    this.durable = this.tail.last;
  }

  /**
   * Opens the partition's files under `root` (the store's directory), or a new, empty
   * partition with a fresh epoch that creates nothing until it is first written.
   */
  static async open(root: string, partition: string, options: FilePartitionOptions): Promise<FilePartition> {
    const fs = options.fileSystem;
    const dir = partitionDirectory(root, partition);
    const statePath = join(dir, STATE_FILE);
    const fresh = (): FilePartition =>
      new FilePartition(root, partition, options, emptyGeneration({ k: 'state', epoch: newEpoch(options.random), partition, stateVersion: 0, origins: [] }), false, [], []);
    if (!stateFileExists(fs, statePath)) {
      // A first write that crashed before its state file was renamed in left nothing promised:
      // the state is written before any tail segment. Segments without it are damage (a partial
      // restore), never removed: they may hold acknowledged changesets.
      if (fs.existsSync(dir)) {
        const segments = fs.readdirSync(dir).filter((name) => tailSegmentFirst(name) !== undefined);
        if (segments.length > 0) throw new Error(`${dir} holds tail segments (${segments.join(', ')}) but no state file; refusing to open it`);
        fs.rmSync(dir, { recursive: true, force: true });
      }
      return fresh();
    }
    options.files?.makeRoom();
    if (fs.existsSync(tempPathOf(statePath))) {
      // A fold that crashed before its rename: the state file in place is whole.
      fs.rmSync(tempPathOf(statePath), { force: true });
      options.logger.info('removed the scratch file of an interrupted fold', { partition });
    }
    const generation = await scanStateFile(fs, statePath);
    if (generation.header.partition !== partition) throw new Error(`${statePath} holds partition ${JSON.stringify(generation.header.partition)}, not ${JSON.stringify(partition)}`);
    const { segments, entries, removed } = await openSegments(fs, dir, generation.header.stateVersion, options);
    if (removed) fsyncDirectory(fs, dir);
    return new FilePartition(root, partition, options, generation, true, segments, entries);
  }

  get epoch(): string {
    return this.generation.header.epoch;
  }

  get latest(): number {
    return this.durable;
  }

  get stateVersion(): number {
    return this.generation.header.stateVersion;
  }

  get expiredThrough(): number {
    return this.generation.end.expiredThrough;
  }

  get stateBytes(): number {
    return this.generation.end.bytes;
  }

  get tailBytes(): number {
    return this.tail.bytesBetween(this.stateVersion, this.durable);
  }

  /** Whether anything of the partition is on disk. */
  get exists(): boolean {
    return this.created;
  }

  /** Whether a write or sync failed: the store closes such a handle rather than keep it. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  get holdsFile(): boolean {
    if (this.writer?.log.holdsFile === true) return true;
    for (const segment of this.segments.values()) if (segment.holdsFile) return true;
    return false;
  }

  releaseFile(): void {
    try {
      this.writer?.log.releaseFile();
    } catch (error) {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      for (const segment of this.segments.values()) segment.closeReader();
    }
  }

  origin(origin: string): OriginState {
    const entry = this.tail.lastOfOrigin(origin, this.durable);
    const row = this.baseOrigins.get(origin);
    const owner = this.written.get(origin)?.owner;
    return { clientVersion: entry?.clientVersion ?? row?.clientVersion ?? 0, owner };
  }

  async append(origin: string, owner: string, changesets: readonly Changeset[], receivedAtMs: number): Promise<Appended> {
    while (this.exclusive !== undefined) await this.exclusive.catch(() => undefined);
    this.assertWritable();
    // Refused before anything is written: a record whose time does not read back would be cut
    // at the next open, and every acknowledged changeset after it with it.
    if (!Number.isSafeInteger(receivedAtMs) || receivedAtMs < 0) throw new RangeError(`receivedAtMs ${String(receivedAtMs)} is not a whole number of ms ≥ 0`);
    // Keys as the protocol bounds them (the server refuses others at upload; this is a defence
    // in depth): the PostgreSQL backend refuses the same, so both keep the same histories.
    const keys = keyProblem('partition', this.partition) ?? changesetsKeyProblem(changesets);
    if (keys !== undefined) throw new RangeError(keys);
    // A file belongs to one user (the server checks it at IDENT and UPLOAD; the same rule as
    // the PostgreSQL backend's, where a node's view of the owner may be behind).
    const known = this.written.get(origin)?.owner;
    if (known !== undefined && known !== owner) throw new RangeError(`file ${origin} belongs to another user`);
    const added: ServerChangeset[] = [];
    let expected = (this.written.get(origin)?.clientVersion ?? 0) + 1;
    for (const changeset of changesets) {
      if (changeset.origin !== origin) throw new RangeError(`origin ${changeset.origin} is not this file (${origin})`);
      if (changeset.clientVersion < expected) continue;
      if (changeset.clientVersion !== expected) throw new RangeError(`client version ${changeset.clientVersion} follows ${expected - 1}`);
      added.push({ ...changeset, serverVersion: this.tail.last + added.length + 1 });
      expected++;
    }
    if (added.length > 0) {
      this.ensureCreated();
      const writer = this.ensureWriter();
      const recordOwner = this.written.get(origin)?.owner ?? owner;
      const encoded = added.map((c) => encodeTailRecord(c, receivedAtMs, recordOwner));
      let offset = writer.log.sizeBytes;
      this.guard(() => writer.log.append(encoded.map((e) => e.payload)));
      encoded.forEach((e, i) => {
        const c = added[i]!;
        this.note({
          v: c.serverVersion,
          origin,
          clientVersion: c.clientVersion,
          owner: recordOwner,
          segment: writer.segment.first,
          jsonAt: offset + RECORD_HEADER_BYTES + e.jsonStart,
          jsonLength: e.payload.length - e.jsonStart,
          bytes: e.bytes,
          at: receivedAtMs,
        });
        offset += RECORD_HEADER_BYTES + e.payload.length;
      });
      writer.segment.last = this.tail.last;
    }
    // Also when all was stored before: a racing upload's changesets may still await their sync.
    const through = this.tail.last;
    if (this.writer !== undefined) {
      try {
        await this.writer.log.flush();
      } catch (error) {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
        throw error;
      }
    }
    this.durable = Math.max(this.durable, through);
    this.maybeFold();
    return { added };
  }

  async readTail(after: number, origin: string, maxBytes: number): Promise<TailBatch | Folded> {
    this.assertOpen();
    if (after < this.stateVersion) return { folded: true, stateVersion: this.stateVersion };
    const picked: TailEntry[] = [];
    let size = 0;
    let through = after;
    for (let v = after + 1; v <= this.durable; v++) {
      const entry = this.tail.at(v)!;
      if (entry.origin !== origin) {
        if (picked.length > 0 && size + entry.bytes > maxBytes) break;
        picked.push(entry);
        size += entry.bytes;
      }
      through = v;
    }
    if (picked.length > 0) this.options.files?.use(this);
    return { changesetJson: await readChangesetJson(this.segments, picked), through };
  }

  tailBytesAfter(after: number, origin: string): number {
    return this.tail.othersBytesBetween(Math.max(after, this.stateVersion), this.durable, origin);
  }

  readState(after: number): Promise<StateReader> {
    this.assertOpen();
    return openStateReader(this.options.fileSystem, this.generation, after);
  }

  fold(options: { readonly now: number; readonly retentionMs: number; readonly through?: number }): Promise<FoldReport> {
    this.assertOpen();
    // Counted from the moment it is queued: the policy must not queue another behind it.
    this.foldsRunning++;
    const run = this.foldChain.then(() => this.foldThrough(options.through ?? this.durable, options.now - options.retentionMs));
    this.foldChain = run.catch(() => undefined);
    return run.finally(() => this.foldsRunning--);
  }

  /** Nothing to bring in: the directory's lock makes this handle its partition's only writer. */
  refresh(): Promise<Refreshed> {
    return Promise.resolve({ epochChanged: false, grew: false });
  }

  /**
   * Server versions go on across a reset: the new epoch's state is at `stateVersion` = the old
   * `latest` (S), with an empty tail, so a tail record of the old epoch a crash left behind is at
   * or below S and skipped on open. `expiredThrough` starts at 0: nothing was dropped in the new
   * epoch, and a file of it at download cursor 0 that merged the state's documents (a bootstrap
   * cut before its DOWNLOAD) is expired only by a tombstone dropped after (its version > S). `keepDocuments` first folds the
   * whole tail (keeping every tombstone), then writes the same documents (and origins table)
   * under the new epoch; `wipe` writes an empty state and clears the origins. Each state file
   * is replaced atomically, so a crash leaves the old epoch (perhaps folded) or the new one.
   * Every client of the old epoch resets, so no cursor in (0, S) of the new epoch exists.
   */
  async reset(mode: ResetMode): Promise<string> {
    this.assertWritable();
    while (this.exclusive !== undefined) await this.exclusive.catch(() => undefined);
    const run = (async () => {
      await this.foldChain;
      if (this.writer !== undefined) await this.writer.log.flush();
      this.durable = this.tail.last;
      this.ensureCreated();
      if (mode === 'keepDocuments') await this.foldThrough(this.durable, Number.NEGATIVE_INFINITY);
      this.closeWriter();
      const last = this.tail.last;
      const origins = mode === 'wipe' ? new Map<string, OriginRow>() : this.baseOrigins;
      const header = this.headerOf(newEpoch(this.options.random), last, origins);
      const { generation } = await rewriteState({
        fileSystem: this.options.fileSystem,
        dir: this.dir,
        from: mode === 'wipe' ? undefined : this.generation,
        header,
        touched: new Map(),
        expiredThrough: 0,
        dropBefore: Number.NEGATIVE_INFINITY,
      });
      this.generation = generation;
      this.baseOrigins = new Map([...origins].map(([o, row]) => [o, { ...row }]));
      this.written.clear();
      for (const [o, row] of this.baseOrigins) this.written.set(o, { ...row });
      this.tail.dropThrough(last);
      this.dropSegmentsThrough(last);
      return header.epoch;
    })();
    this.exclusive = run;
    try {
      return await run;
    } catch (error) {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      this.exclusive = undefined;
    }
  }

  /** Starts a fold in the background if the policy asks for one (see `FoldPolicy`); never fails the caller. */
  maybeFold(): void {
    if (this.closed || !this.created || this.foldsRunning > 0 || this.exclusive !== undefined || this.failure !== undefined) return;
    const { minTailBytes, tailFraction } = this.options.foldPolicy;
    const now = this.options.now();
    const oldest = this.generation.end.oldestTombstoneAt;
    const big = this.tailBytes > Math.max(minTailBytes, tailFraction * this.stateBytes);
    const expired = oldest !== null && oldest < now - this.options.historyRetentionMs;
    if (!big && !expired) return;
    this.fold({ now, retentionMs: this.options.historyRetentionMs }).catch((error: unknown) =>
      this.options.logger.warn('a background fold failed', { partition: this.partition, error: String(error) }),
    );
  }

  /** Waits for folds and resets, syncs and closes every file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.foldChain;
    await this.exclusive?.catch(() => undefined);
    this.options.files?.forget(this);
    try {
      this.writer?.log.close();
    } finally {
      for (const segment of this.segments.values()) segment.closeReader();
    }
  }

  /** Folds through `target` a chunk at a time (each chunk one state rewrite), dropping tombstones of documents last changed before `dropBefore`. */
  private async foldThrough(target: number, dropBefore: number): Promise<FoldReport> {
    {
      const from = this.stateVersion;
      const limit = Math.max(Math.min(target, this.durable), from);
      let droppedTombstones = 0;
      do {
        // Retention only in the rewrite that reaches `limit`: a tombstone dropped earlier would
        // let an older-stamped write still in the folded range come back.
        const last = this.tail.chunkEnd(limit, this.options.foldPolicy.chunkBytes) >= limit;
        droppedTombstones += await this.foldChunk(limit, last ? dropBefore : Number.NEGATIVE_INFINITY);
      } while (this.stateVersion < limit);
      return { from, to: this.stateVersion, documents: this.generation.end.documents, stateBytes: this.stateBytes, droppedTombstones };
    }
  }

  /** One state rewrite: the tail through at most `limit` (and `chunkBytes`) merged into the state. */
  private async foldChunk(limit: number, dropBefore: number): Promise<number> {
    if (!this.created) return 0;
    // Appends from here go to a new segment, so the folded ones can be removed whole.
    this.closeWriter();
    const from = this.stateVersion;
    const through = this.tail.chunkEnd(limit, this.options.foldPolicy.chunkBytes);
    const entries = this.tail.slice(from, through);
    const changesets = await readChangesets(this.segments, entries);
    const touched = touchedDocuments(changesets.map((changeset, i) => ({ changeset, at: entries[i]!.at })));
    const origins = new Map([...this.baseOrigins].map(([o, row]) => [o, { ...row }]));
    for (const entry of entries) origins.set(entry.origin, { clientVersion: entry.clientVersion, owner: origins.get(entry.origin)?.owner ?? entry.owner });
    const { generation, droppedTombstones } = await rewriteState({
        fileSystem: this.options.fileSystem,
      dir: this.dir,
      from: this.generation,
      header: this.headerOf(this.epoch, through, origins),
      touched,
      expiredThrough: this.expiredThrough,
      dropBefore,
    });
    this.generation = generation;
    this.baseOrigins = origins;
    this.tail.dropThrough(through);
    this.dropSegmentsThrough(through);
    return droppedTombstones;
  }

  private headerOf(epoch: string, stateVersion: number, origins: ReadonlyMap<string, OriginRow>): StateHeader {
    return { k: 'state', epoch, partition: this.partition, stateVersion, origins: [...origins].map(([o, row]) => [o, row.clientVersion, row.owner ?? null]) };
  }

  /** Removes the segments holding only versions through `v` (the writer's is closed by then). */
  private dropSegmentsThrough(v: number): void {
    let removed = false;
    for (const [first, segment] of this.segments) {
      if (segment.last > v || segment === this.writer?.segment) continue;
      segment.drop();
      this.segments.delete(first);
      removed = true;
    }
    if (removed) fsyncDirectory(this.options.fileSystem, this.dir);
  }

  /** Closes the segment appends go to (synced by close): the next append begins a new one. */
  private closeWriter(): void {
    const writer = this.writer;
    if (writer === undefined) return;
    this.writer = undefined;
    this.guard(() => writer.log.close());
  }

  /** The first write of a partition makes its directory and an empty state file: its epoch becomes durable. */
  private ensureCreated(): void {
    if (this.created) return;
    this.guard(() => {
      makeDirectoryDurably(this.options.fileSystem, this.dir);
      const header = encodeStateMeta(this.generation.header);
      const end = { k: 'end' as const, documents: 0, bytes: 0, expiredThrough: 0, oldestTombstoneAt: null };
      const path = join(this.dir, STATE_FILE);
      writeFileDurably(this.options.fileSystem, tempPathOf(path), encodeRecords([header, encodeStateMeta(end)], true));
      try {
        this.options.fileSystem.renameSync(tempPathOf(path), path);
      } catch (error) {
        removeQuietly(this.options.fileSystem, tempPathOf(path));
        throw error;
      }
      fsyncDirectory(this.options.fileSystem, this.dir);
      const documentsAt = RECORD_LOG_MAGIC.length + RECORD_HEADER_BYTES + header.length;
      this.generation = { path, header: this.generation.header, end, documentsAt, endAt: documentsAt, index: [] };
    });
    this.created = true;
  }

  private ensureWriter(): { readonly segment: Segment; readonly log: RecordLog } {
    this.options.files?.use(this);
    if (this.writer !== undefined) return this.writer;
    const first = this.tail.last + 1;
    const segment = new Segment(this.options.fileSystem, first, join(this.dir, tailSegmentName(first)));
    const { log } = openRecordLog(segment.path, { durability: this.options.durability, logger: this.options.logger, fileSystem: this.options.fileSystem });
    this.segments.set(first, segment);
    this.writer = { segment, log };
    return this.writer;
  }

  private note(entry: TailEntry): void {
    this.tail.push(entry);
    const row = this.written.get(entry.origin);
    this.written.set(entry.origin, { clientVersion: entry.clientVersion, owner: row?.owner ?? entry.owner });
  }

  private guard<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`partition ${this.partition} is closed`);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.failure !== undefined) throw new Error(`partition ${this.partition} refuses writes after an I/O failure (${this.failure.message}); release and acquire it again`);
  }
}

/** Whether the state file exists: only a missing file is `false`; any other error (EACCES, EIO) throws rather than read as absent. */
function stateFileExists(fs: FileSystem, path: string): boolean {
  try {
    fs.statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
