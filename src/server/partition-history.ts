import { createHash, randomBytes } from 'node:crypto';
import { left, right } from 'fp-ts/lib/Either.js';
import { join } from 'node:path';
import * as t from 'io-ts';
import { ChangesetCodec, NatCodec, serverChangesetJson, type Changeset, type ServerChangeset } from '../protocol/changeset.codec.js';
import type { Logger } from '../store/logger.js';
import { openRecordLog, type RecordLog } from '../store/record-log.js';
import { partitionSeed } from './partition-seed.js';
import type { FileHolder, OpenFileBudget } from './open-file-budget.js';

const EpochRecord = t.type({ k: t.literal('epoch'), epoch: t.string, partition: t.string });
const ChangesetRecord = t.intersection([
  t.type({ k: t.literal('cs'), v: NatCodec, c: ChangesetCodec }),
  // The user whose upload brought the changeset: a file ident belongs to one user.
  t.partial({ u: t.string }),
]);
const HistoryRecord = t.union([EpochRecord, ChangesetRecord]);
type HistoryEntry = t.TypeOf<typeof HistoryRecord>;

/** Where a partition's history file lives: readable prefix plus a hash, so any name is a safe file name. */
export function historyFileName(partition: string): string {
  const readable = partition.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return `${readable}-${createHash('sha256').update(partition).digest('hex').slice(0, 16)}.log`;
}

const newEpoch = (): string => randomBytes(6).toString('hex');
const encode = (record: HistoryEntry): Buffer => Buffer.from(JSON.stringify(record), 'utf8');

/** What `integrate` did with an upload. */
export interface Integration {
  /** Changesets newly in the history (re-sent ones already there are skipped). */
  readonly added: readonly ServerChangeset[];
  /**
   * The first changeset refused, why, and the error code that says so (`clockSkew` for a stamp
   * `checkStamp` refused); those after it are not looked at.
   */
  readonly refused?: { readonly clientVersion: number; readonly reason: string; readonly code: 'badChangeset' | 'clockSkew' };
}

/** One batch of history for a client. */
export interface HistorySlice {
  /** The JSON text of each changeset, in order, as a DOWNLOAD carries it (see `encodeDownloadFrame`). */
  readonly changesetJson: readonly string[];
  /** Server version the client has after this batch. */
  readonly through: number;
  /** Bytes of other files' changesets still after `through`. */
  readonly remainingBytes: number;
}

/**
 * The durable ordered history of one partition, in the same record log as the local store.
 * Server versions are 1, 2, 3, … within an epoch; each origin's client versions must arrive
 * in order (1, 2, 3, …) and one already integrated is skipped, so a re-sent upload is never
 * applied twice. An upload is on disk (per durability) before `integrate` returns.
 */
export class PartitionHistory implements FileHolder {
  private changesets: ServerChangeset[] = [];
  /**
   * The JSON of each changeset, made once when it is added: every DOWNLOAD that carries it (to
   * every client of the partition, and to each new one) reuses it instead of encoding again.
   */
  private json: string[] = [];
  private bytes: number[] = [];
  /** prefix[v] = bytes of server versions 1..v. */
  private prefix: number[] = [0];
  private readonly lastClientVersion = new Map<string, number>();
  /** The user each file ident belongs to. */
  private readonly owners = new Map<string, string>();
  /** Per origin, its server versions and the running total of its bytes, to subtract a client's own. */
  private readonly originVersions = new Map<string, { versions: number[]; totals: number[] }>();
  private epochValue: string;
  private failure = false;
  /**
   * Server versions through this one are on stable storage, and only those are served: one
   * sent to readers before its fsync and lost to power failure would have its server version
   * reused for other content, which readers past it would never get. Everything read at open
   * is durable (`openRecordLog` syncs it); with `full` durability every append is.
   */
  private durable = 0;

  private constructor(
    readonly partition: string,
    private readonly log: RecordLog,
    records: readonly HistoryEntry[],
    private readonly files: OpenFileBudget | undefined,
  ) {
    let epoch: string | undefined;
    for (const record of records) {
      if (record.k === 'epoch') {
        epoch = record.epoch;
        this.clear();
      } else this.add({ ...record.c, serverVersion: record.v }, record.u);
    }
    this.epochValue = epoch ?? newEpoch();
    // Not synced on its own (one fsync per partition created, thousands when thousands of
    // sessions bind at once): the first integrated upload syncs it with itself. Lost to power
    // failure before that, the history had no changeset; it reopens with a new epoch, and a
    // client that was told the old one gets a client reset (docs/SEMANTICS.md §5) of a file whose
    // changesets the server never acknowledged: they are re-sent, nothing is lost.
    if (epoch === undefined) this.log.appendLazily([encode({ k: 'epoch', epoch: this.epochValue, partition })]);
    this.durable = this.latest;
  }

  /**
   * Opens (or creates) the history of `partition` under `dir`. With `files`, its file is held
   * open only within that budget: everything is served from memory, and the file is reopened
   * when the history is written again.
   */
  static open(dir: string, partition: string, options: { durability: 'full' | 'batched'; logger: Logger; files?: OpenFileBudget }): PartitionHistory {
    const { files, ...logOptions } = options;
    // An existing file is opened (and held) by openRecordLog itself.
    files?.makeRoom();
    // A record that is whole but unreadable, or out of sequence, ends the history there like a
    // torn tail: the log is cut, so later appends never land behind garbage.
    let expected = 1;
    const { log, records } = openRecordLog<HistoryEntry>(join(dir, historyFileName(partition)), {
      ...logOptions,
      // A partition bound and never written to costs no file (see PartitionHub.release).
      createLazily: true,
      decode: (payload) => {
        let decoded: t.Validation<HistoryEntry>;
        try {
          decoded = HistoryRecord.decode(JSON.parse(payload.toString('utf8')));
        } catch {
          return left('not JSON');
        }
        if (decoded._tag === 'Left') return left('not a history record');
        const record = decoded.right;
        if (record.k === 'epoch') expected = 1;
        else if (record.v !== expected++) return left(`server version ${record.v} out of sequence`);
        return right(record);
      },
    });
    const history = new PartitionHistory(partition, log, records, files);
    if (log.holdsFile) files?.use(history);
    return history;
  }

  /** Whether the history holds its file open now. */
  get holdsFile(): boolean {
    return this.log.holdsFile;
  }

  /**
   * Whether a write, sync or release of its log failed: the log refuses writes from then on, so
   * the hub closes it rather than keep it for a later BIND, which reopens the file instead.
   */
  get failed(): boolean {
    return this.failure;
  }

  /** Syncs and closes the file, keeping the history: the next write reopens it (see `OpenFileBudget`). */
  releaseFile(): void {
    this.guard(() => this.log.releaseFile());
    // Releasing syncs what was appended.
    this.durable = this.latest;
  }

  /** The history's epoch; cursors from another epoch need a client reset. */
  get epoch(): string {
    return this.epochValue;
  }

  /** The newest server version (0 when empty). */
  get latest(): number {
    return this.changesets.length;
  }

  /** The newest server version served to readers: on stable storage (see `durable`). */
  get servable(): number {
    return this.durable;
  }

  /** The highest client version of `origin` in the history. */
  lastIntegrated(origin: string): number {
    return this.lastClientVersion.get(origin) ?? 0;
  }

  /**
   * The highest client version of `origin` on stable storage: what its sessions are told is
   * acknowledged. With `batched` durability {@link lastIntegrated} runs ahead of it until the
   * flush: a push for another session's upload, or a changeset sent again while its first
   * fsync is pending (or failed), must not acknowledge what power failure can still take.
   */
  acknowledged(origin: string): number {
    const own = this.originVersions.get(origin);
    if (own === undefined) return 0;
    const count = countThrough(own.versions, this.durable);
    return count === 0 ? 0 : this.changesets[own.versions[count - 1]! - 1]!.clientVersion;
  }

  /** The user file `origin` belongs to, if it ever uploaded. */
  ownerOf(origin: string): string | undefined {
    return this.owners.get(origin);
  }

  /**
   * Adds the upload of file `origin` by `userId`, durably (per durability; see `flush`). Stops
   * at the first changeset out of order, not of `origin`, or whose stamp `checkStamp` refuses
   * (asked only of changesets not integrated before).
   */
  integrate(origin: string, uploaded: readonly Changeset[], userId?: string, checkStamp?: (hlc: Changeset['hlc']) => string | undefined): Integration {
    const added: ServerChangeset[] = [];
    let refused: Integration['refused'];
    let expected = this.lastIntegrated(origin) + 1;
    for (const changeset of uploaded) {
      if (changeset.origin !== origin) {
        refused = { clientVersion: changeset.clientVersion, reason: `origin ${changeset.origin} is not this file (${origin})`, code: 'badChangeset' };
        break;
      }
      if (changeset.clientVersion < expected) continue; // integrated before: acknowledge, do not apply again
      if (changeset.clientVersion !== expected) {
        refused = { clientVersion: changeset.clientVersion, reason: `client version ${changeset.clientVersion} follows ${expected - 1}`, code: 'badChangeset' };
        break;
      }
      const stampRefusal = checkStamp?.(changeset.hlc);
      if (stampRefusal !== undefined) {
        refused = { clientVersion: changeset.clientVersion, reason: stampRefusal, code: 'clockSkew' };
        break;
      }
      added.push({ ...changeset, serverVersion: this.latest + added.length + 1 });
      expected++;
    }
    if (added.length > 0) {
      this.files?.use(this);
      const records = added.map((c) =>
        encode({ k: 'cs', v: c.serverVersion, c: { clientVersion: c.clientVersion, origin: c.origin, hlc: c.hlc, ops: c.ops }, ...(userId === undefined ? {} : { u: userId }) }),
      );
      this.guard(() => this.log.append(records));
      for (const c of added) this.add(c, userId);
      if (this.log.durability === 'full') this.durable = this.latest;
    }
    return refused === undefined ? { added } : { added, refused };
  }

  /** The next batch after `serverVersion` for the file `origin` (its own changesets are left out). */
  slice(serverVersion: number, origin: string, maxBytes: number): HistorySlice {
    const json: string[] = [];
    let size = 0;
    let through = serverVersion;
    while (through < this.durable) {
      const next = this.changesets[through]!;
      const nextBytes = this.bytes[through]!;
      if (next.origin !== origin) {
        if (json.length > 0 && size + nextBytes > maxBytes) break;
        json.push(this.json[through]!);
        size += nextBytes;
      }
      through++;
    }
    return { changesetJson: json, through, remainingBytes: this.downloadableBytes(through, origin) };
  }

  /** Bytes of changesets after `serverVersion` that `origin` did not write. */
  downloadableBytes(serverVersion: number, origin: string): number {
    // Only what is served counts (see `durable`).
    const from = Math.min(serverVersion, this.durable);
    const all = this.prefix[this.durable]! - this.prefix[from]!;
    const own = this.originVersions.get(origin);
    if (own === undefined) return all;
    return all - (ownBytesThrough(own, this.durable) - ownBytesThrough(own, from));
  }

  /**
   * Starts a new epoch that begins with the partition's documents as of now (`partitionSeed`:
   * every winning field and tombstone with its original stamp), so nothing acknowledged is
   * lost; every client of the old epoch needs a client reset, and downloads them again. The
   * new epoch replaces the file atomically: a crash leaves the old epoch or the whole new one.
   */
  reset(): string {
    const seed = partitionSeed(this.changesets.map((changeset) => {
      const owner = this.owners.get(changeset.origin);
      return owner === undefined ? { changeset } : { changeset, owner };
    }));
    return this.startEpoch(seed.map(({ changeset, owner }, i) => ({ ...changeset, serverVersion: i + 1, owner })));
  }

  /** Starts a new, empty epoch: the partition's documents are gone from the server. Destructive. */
  wipe(): string {
    return this.startEpoch([]);
  }

  private startEpoch(first: ReadonlyArray<ServerChangeset & { readonly owner: string | undefined }>): string {
    const epoch = newEpoch();
    // The file first: if the rewrite fails, memory still matches the old file.
    this.files?.use(this);
    const records = [
      encode({ k: 'epoch', epoch, partition: this.partition }),
      ...first.map(({ owner, ...c }) => encode({ k: 'cs', v: c.serverVersion, c: { clientVersion: c.clientVersion, origin: c.origin, hlc: c.hlc, ops: c.ops }, ...(owner === undefined ? {} : { u: owner }) })),
    ];
    this.guard(() => this.log.rewrite(records));
    this.epochValue = epoch;
    this.clear();
    for (const { owner, ...c } of first) this.add(c, owner);
    // A rewrite is durable when it returns.
    this.durable = this.latest;
    return epoch;
  }

  /** Resolves once every integrated upload is on stable storage (at once with `full` durability). */
  /** Resolves once every changeset integrated so far is on stable storage, and served from then on. */
  flush(): Promise<void> {
    const through = this.latest;
    const epoch = this.epochValue;
    return this.log.flush().then(
      () => {
        // A new epoch (a rewrite) since the call made its own versions durable already.
        if (epoch === this.epochValue) this.durable = Math.max(this.durable, through);
      },
      (error: unknown) => {
        this.failure = true;
        throw error;
      },
    );
  }

  /** Runs an operation of the log, remembering that it failed (see {@link failed}). */
  private guard(operation: () => void): void {
    try {
      operation();
    } catch (error) {
      this.failure = true;
      throw error;
    }
  }


  /**
   * Syncs and closes the file. A history whose file was never created (nothing integrated, no
   * reset) closes with nothing on disk: its epoch was never durable, and clients that hold it
   * with nothing downloaded or acknowledged take the next one without a reset
   * (`SyncConnection.ident`).
   */
  close(): void {
    this.files?.forget(this);
    this.log.close({ createMissing: false });
  }

  private clear(): void {
    this.changesets = [];
    this.json = [];
    this.bytes = [];
    this.prefix = [0];
    this.lastClientVersion.clear();
    this.originVersions.clear();
    this.owners.clear();
  }

  private add(changeset: ServerChangeset, userId: string | undefined): void {
    if (userId !== undefined && !this.owners.has(changeset.origin)) this.owners.set(changeset.origin, userId);
    // One serialization gives both the wire form and the progress size.
    const { json, bytes: size } = serverChangesetJson(changeset);
    this.json.push(json);
    this.changesets.push(changeset);
    this.bytes.push(size);
    this.prefix.push(this.prefix[this.prefix.length - 1]! + size);
    this.lastClientVersion.set(changeset.origin, changeset.clientVersion);
    const own = this.originVersions.get(changeset.origin) ?? { versions: [], totals: [] };
    own.versions.push(changeset.serverVersion);
    own.totals.push((own.totals[own.totals.length - 1] ?? 0) + size);
    this.originVersions.set(changeset.origin, own);
  }
}

/** Bytes of the changesets of one origin at server versions up to `serverVersion` (binary search). */
function ownBytesThrough(own: { readonly versions: readonly number[]; readonly totals: readonly number[] }, serverVersion: number): number {
  const lo = countThrough(own.versions, serverVersion);
  return lo === 0 ? 0 : own.totals[lo - 1]!;
}

/** How many of the ascending `versions` are at most `serverVersion` (binary search). */
function countThrough(versions: readonly number[], serverVersion: number): number {
  let lo = 0;
  let hi = versions.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (versions[mid]! <= serverVersion) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
