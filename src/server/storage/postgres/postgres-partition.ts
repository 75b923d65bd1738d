/**
 * One partition of the PostgreSQL backend: rows of `sync_partitions`, `sync_origins`,
 * `sync_changesets` and `sync_documents` (see `migrations.ts`), and in memory only their
 * bookkeeping (the partition row, the origins, and per tail changeset its version, origin,
 * client version and bytes: never its JSON). See `PartitionHandle`.
 *
 * The synchronous getters read that cache. It changes with this handle's own appends, folds and
 * resets once they commit, and with {@link PostgresPartition.refresh}, which brings it up to date from the
 * database (for changes other nodes made). Every write decides against the database, not the
 * cache, under the partition's locks, so a stale cache never stores a wrong version.
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { ServerChangesetCodec, serverChangesetJson, type Changeset, type ServerChangeset } from '../../../protocol/changeset.codec.js';
import { changesetsKeyProblem, keyProblem, storableTextProblem } from '../../../protocol/keys.js';
import type { DocumentState } from '../../../store/document-state.js';
import { documentKeyOf } from '../../../store/document-set.js';
import type { Logger } from '../../../store/logger.js';
import { documentToEntry, entryToDocument } from '../../../store/snapshot.js';
import { DocumentEntryCodec } from '../../../store/store-records.js';
import type { FoldPolicy } from '../file/file-partition.js';
import { mergeDocuments, touchedDocuments, withoutTombstone } from '../file/document-merge.js';
import { TailIndex, type TailEntry } from '../file/tail-index.js';
import type { Refreshed as PortRefreshed, Appended, FoldReport, Folded, OriginState, PartitionHandle, ResetMode, StateReader, TailBatch } from '../server-storage.js';
import { openPostgresStateReader, type StateReaderContext } from './postgres-state-reader.js';
import { toSafeInteger as asNumber, withTransaction, type Transaction } from './transaction.js';

/** What a partition needs from its store. */
export interface PostgresPartitionOptions {
  /** Where background fold failures are told. */
  readonly logger: Logger;
  /** When the partition folds on its own, and the changeset bytes of one fold transaction (`chunkBytes`). */
  readonly foldPolicy: FoldPolicy;
  /** For the folds the partition starts on its own. */
  readonly historyRetentionMs: number;
  /** The clock of those folds. */
  readonly now: () => number;
  /** What the store's state readers share: the open ones, their slots, their idle timeout. */
  readonly readers: StateReaderContext;
  /** The epoch of a partition with no row yet: every node of the database agrees on it (`initial-epoch.ts`). */
  readonly initialEpoch: (partition: string) => string;
}

/** The epoch a reset begins: random (the initial one is not, see `initial-epoch.ts`). */
const newEpoch = (): string => randomBytes(6).toString('hex');

/**
 * The first key of the advisory lock a fold or reset of a partition holds (the second is the
 * partition's `hashtext`): no two nodes fold one partition at once. Two partitions whose names
 * hash alike only fold one after the other.
 */
const FOLD_LOCK = 7_301_113;

/** Rows written per statement (each column is one array parameter; this bounds a statement's size). */
const ROWS_PER_STATEMENT = 1000;

interface OriginRow {
  readonly clientVersion: number;
  readonly owner: string | undefined;
}

/** The cached partition row (what the getters answer from). */
interface PartitionRow {
  epoch: string;
  latest: number;
  stateVersion: number;
  expiredThrough: number;
  stateBytes: number;
  stateDocuments: number;
  oldestTombstoneAt: number | null;
}

interface PartitionRecord {
  epoch: string;
  latest: unknown;
  state_version: unknown;
  expired_through: unknown;
  state_bytes: unknown;
  state_documents: unknown;
  oldest_tombstone_at: unknown;
}

const rowOf = (r: PartitionRecord): PartitionRow => ({
  epoch: r.epoch,
  latest: asNumber(r.latest),
  stateVersion: asNumber(r.state_version),
  expiredThrough: asNumber(r.expired_through),
  stateBytes: asNumber(r.state_bytes),
  stateDocuments: asNumber(r.state_documents),
  oldestTombstoneAt: r.oldest_tombstone_at === null ? null : asNumber(r.oldest_tombstone_at),
});

/**
 * A tail changeset's bookkeeping in the file backend's `TailIndex`: the changeset itself is
 * found by its server version here, so the fields saying where it lies in a segment are 0.
 */
const tailEntry = (v: number, origin: string, clientVersion: number, bytes: number, at: number): TailEntry => ({
  v,
  origin,
  clientVersion,
  owner: undefined,
  segment: 0,
  jsonAt: 0,
  jsonLength: 0,
  bytes,
  at,
});

interface OriginRecord {
  readonly origin: string;
  readonly client_version: unknown;
  readonly owner: string | null;
}

interface EntryRecord {
  readonly server_version: unknown;
  readonly origin: string;
  readonly client_version: unknown;
  readonly bytes: number;
  readonly received_at: unknown;
}

/**
 * What `load` reads: no row; the row with every origin and the whole tail; or the row with the
 * changesets after the cached `latest` and the rows of the origins that wrote them.
 */
type Loaded =
  | { readonly kind: 'noRow' }
  | { readonly kind: 'whole' | 'extended'; readonly row: PartitionRow; readonly origins: readonly OriginRecord[]; readonly entries: readonly EntryRecord[] };

/**
 * What a {@link PostgresPartition.refresh} found, against the cache before it.
 *
 * - `epochChanged`: the partition began another epoch (a reset, on some node): every session's
 *   cursors are of the old one, so they must be reset (IDENT again).
 * - `grew`: `latest` moved up: changesets arrived that waiting sessions should be sent (also
 *   true with `epochChanged` when the new epoch's versions are past the old cache's).
 * - `full`: the cache was read whole rather than extended (the epoch changed, the state moved
 *   past the cached `latest`, or the partition has no row): for logs and tests.
 *
 * Neither `epochChanged` nor `grew` when only a fold moved the state: a session reading the
 * tail finds that out by itself (`Folded`).
 */
export interface Refreshed extends PortRefreshed {
  readonly full: boolean;
}

/** What one fold chunk did. */
interface ChunkResult {
  readonly row: PartitionRow;
  readonly droppedTombstones: number;
}

/** The PostgreSQL backend's {@link PartitionHandle}. */
export class PostgresPartition implements PartitionHandle {
  private row: PartitionRow;
  private tail: TailIndex;
  private origins = new Map<string, OriginRow>();
  /** Appends of this handle, one after the other (the database orders them across nodes; this orders the cache's updates). */
  private appendChain: Promise<unknown> = Promise.resolve();
  private foldChain: Promise<unknown> = Promise.resolve();
  private foldsRunning = 0;
  /** Moves whenever anything updates the cache: a fold, reset, append or reload of this handle (see `reload`). */
  private cacheWrites = 0;
  /** Set while a reset runs: appends and folds wait for it. */
  private exclusive: Promise<unknown> | undefined;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    readonly partition: string,
    private readonly options: PostgresPartitionOptions,
  ) {
    this.row = { epoch: options.initialEpoch(partition), latest: 0, stateVersion: 0, expiredThrough: 0, stateBytes: 0, stateDocuments: 0, oldestTombstoneAt: null };
    this.tail = new TailIndex(0);
  }

  /** Opens `partition`: its bookkeeping from the database, or an empty partition with its initial epoch that writes nothing until it is first written. */
  static async open(pool: Pool, partition: string, options: PostgresPartitionOptions): Promise<PostgresPartition> {
    const handle = new PostgresPartition(pool, partition, options);
    await handle.reload('whole');
    return handle;
  }

  get epoch(): string {
    return this.row.epoch;
  }

  get latest(): number {
    return this.row.latest;
  }

  get stateVersion(): number {
    return this.row.stateVersion;
  }

  get expiredThrough(): number {
    return this.row.expiredThrough;
  }

  get stateBytes(): number {
    return this.row.stateBytes;
  }

  get tailBytes(): number {
    return this.tail.bytesBetween(this.row.stateVersion, this.row.latest);
  }

  origin(origin: string): OriginState {
    const row = this.origins.get(origin);
    return { clientVersion: row?.clientVersion ?? 0, owner: row?.owner };
  }

  /**
   * Brings the cache up to what the database holds, in one snapshot: what other nodes committed
   * becomes what the getters answer. It costs what changed: the partition row, the changesets
   * after the cached `latest` (their bookkeeping, never their JSON) and the origins that wrote
   * them; the cache is read whole only when that cannot extend it (see {@link Refreshed.full}).
   * A partition with no row keeps its initial epoch (not yet durable, the same on every node).
   * Queued behind this handle's appends, so a snapshot taken before one of them committed never
   * overwrites what it added. Resolves to what changed, for the caller to wake or reset the
   * partition's sessions.
   */
  refresh(): Promise<Refreshed> {
    const run = this.appendChain.then(() => this.reload('extend'));
    this.appendChain = run.catch(() => undefined);
    return run;
  }

  /**
   * {@link refresh} itself, unqueued (for appends, folds and resets, which hold the queue or
   * run beside it); `whole` reads everything even where the cache could be extended. Any other
   * update of the cache while the snapshot is read (`cacheWrites` moves: a fold or reset of this
   * handle, an append's own, another reload's) makes it read again from the cache as it is now:
   * the cache never goes back to a state before what this handle committed, and is never
   * extended from a base that moved meanwhile.
   */
  private async reload(mode: 'extend' | 'whole'): Promise<Refreshed> {
    const before = { epoch: this.row.epoch, latest: this.row.latest };
    for (;;) {
      const seen = this.cacheWrites;
      const loaded = await this.load(mode === 'extend' ? { epoch: this.row.epoch, latest: this.row.latest, stateVersion: this.row.stateVersion } : undefined);
      if (seen !== this.cacheWrites) continue;
      this.apply(loaded);
      this.cacheWrites++;
      return { epochChanged: this.row.epoch !== before.epoch, grew: this.row.latest > before.latest, full: loaded.kind !== 'extended' };
    }
  }

  /** Makes `loaded` what the getters answer (synchronously: nothing else updates the cache meanwhile). */
  private apply(loaded: Loaded): void {
    if (loaded.kind === 'noRow') {
      this.row = { epoch: this.row.epoch, latest: 0, stateVersion: 0, expiredThrough: 0, stateBytes: 0, stateDocuments: 0, oldestTombstoneAt: null };
      this.tail = new TailIndex(0);
      this.origins = new Map();
      return;
    }
    // Checked before anything changes: the versions read are one range, so a count that fits
    // it means no gap, and a damaged partition leaves the cache as it was.
    const from = loaded.kind === 'whole' ? loaded.row.stateVersion : this.tail.last;
    if (from + loaded.entries.length !== loaded.row.latest) {
      throw new Error(`partition ${this.partition}: the tail ends at ${from + loaded.entries.length}, its row says ${loaded.row.latest}`);
    }
    const tail = loaded.kind === 'whole' ? new TailIndex(loaded.row.stateVersion) : this.tail;
    if (loaded.kind === 'extended') tail.dropThrough(loaded.row.stateVersion);
    for (const e of loaded.entries) tail.push(tailEntry(asNumber(e.server_version), e.origin, asNumber(e.client_version), e.bytes, asNumber(e.received_at)));
    const origins = loaded.kind === 'whole' ? new Map<string, OriginRow>() : this.origins;
    for (const o of loaded.origins) origins.set(o.origin, { clientVersion: asNumber(o.client_version), owner: o.owner ?? undefined });
    this.row = loaded.row;
    this.tail = tail;
    this.origins = origins;
  }

  /**
   * The partition row and, in the same snapshot, either what follows `base` (the cache's epoch,
   * `latest` and `stateVersion`) or everything. What follows is enough when the epoch is the
   * same and the state has not passed `base.latest`: then every changeset after it is still in
   * the tail, and an origin's row only changes by an append of changesets of that origin (a
   * reset changes the epoch), so the origins of the new changesets are all that changed.
   */
  private async load(base: { epoch: string; latest: number; stateVersion: number } | undefined): Promise<Loaded> {
    return withTransaction(this.pool, { mode: 'repeatableReadReadOnly' }, async (tx): Promise<Loaded> => {
      const [record] = await tx.query<PartitionRecord>(
        `select epoch, latest, state_version, expired_through, state_bytes, state_documents, oldest_tombstone_at
        from sync_partitions where partition = $1`,
        [this.partition],
      );
      if (record === undefined) return { kind: 'noRow' };
      const row = rowOf(record);
      const extendable =
        base !== undefined && row.epoch === base.epoch && row.stateVersion >= base.stateVersion && row.stateVersion <= base.latest && row.latest >= base.latest;
      const after = extendable ? base.latest : row.stateVersion;
      const entries = await tx.query<EntryRecord>(
        `select server_version, origin, client_version, bytes, received_at from sync_changesets
        where partition = $1 and server_version > $2 and server_version <= $3
        order by server_version`,
        [this.partition, after, row.latest],
      );
      if (!extendable) {
        const origins = await tx.query<OriginRecord>('select origin, client_version, owner from sync_origins where partition = $1', [this.partition]);
        return { kind: 'whole', row, origins, entries };
      }
      const written = [...new Set(entries.map((e) => e.origin))];
      const origins =
        written.length === 0
          ? []
          : await tx.query<OriginRecord>('select origin, client_version, owner from sync_origins where partition = $1 and origin = any($2::text[])', [this.partition, written]);
      return { kind: 'extended', row, origins, entries };
    });
  }

  append(origin: string, owner: string, changesets: readonly Changeset[], receivedAtMs: number): Promise<Appended> {
    // Waits for the reset under way when it is queued, not for one begun later: that one waits
    // for this append (it awaits the chain), so waiting for it here would wait for ever.
    const gate = this.exclusive;
    const run = this.appendChain.then(async () => {
      await gate?.catch(() => undefined);
      return this.appendNow(origin, owner, changesets, receivedAtMs);
    });
    this.appendChain = run.catch(() => undefined);
    return run;
  }

  async readTail(after: number, origin: string, maxBytes: number): Promise<TailBatch | Folded> {
    this.assertOpen();
    if (after < this.row.stateVersion) return { folded: true, stateVersion: this.row.stateVersion };
    // The batch is chosen from the bookkeeping (bytes per version), then read by version range:
    // versions are committed gap-free in order, so everything at or below `latest` is there.
    let picked = 0;
    let size = 0;
    let through = after;
    for (let v = after + 1; v <= this.row.latest; v++) {
      const entry = this.tail.at(v);
      // Not in the bookkeeping: a refresh moved the state past `after` since the check above.
      if (entry === undefined) return { folded: true, stateVersion: this.row.stateVersion };
      if (entry.origin !== origin) {
        if (picked > 0 && size + entry.bytes > maxBytes) break;
        picked++;
        size += entry.bytes;
      }
      through = v;
    }
    if (picked === 0) return { changesetJson: [], through };
    const { rows } = await this.pool.query<{ json: string }>(
      `select json from sync_changesets
      where partition = $1 and server_version > $2 and server_version <= $3 and origin <> $4
      order by server_version`,
      [this.partition, after, through, origin],
    );
    if (rows.length !== picked) {
      // A fold (of this handle or another node) deleted them meanwhile: the state is past `after`.
      const {
        rows: [row],
      } = await this.pool.query<{ state_version: unknown }>('select state_version from sync_partitions where partition = $1', [this.partition]);
      return { folded: true, stateVersion: Math.max(this.row.stateVersion, row === undefined ? 0 : asNumber(row.state_version)) };
    }
    return { changesetJson: rows.map((r) => r.json), through };
  }

  tailBytesAfter(after: number, origin: string): number {
    return this.tail.othersBytesBetween(Math.max(after, this.row.stateVersion), this.row.latest, origin);
  }

  readState(after: number): Promise<StateReader> {
    this.assertOpen();
    return openPostgresStateReader(this.pool, this.partition, after, this.options.readers);
  }

  fold(options: { readonly now: number; readonly retentionMs: number; readonly through?: number }): Promise<FoldReport> {
    this.assertOpen();
    this.foldsRunning++;
    // As an append: only the reset under way when it is queued (a later one waits for this fold).
    const gate = this.exclusive;
    const run = this.foldChain.then(async () => {
      await gate?.catch(() => undefined);
      return this.foldNow(options.through ?? this.row.latest, options.now - options.retentionMs);
    });
    this.foldChain = run.catch(() => undefined);
    return run.finally(() => this.foldsRunning--);
  }

  /**
   * As the file backend's reset (`file-partition.ts`): server versions go on (the new epoch's
   * state is at the old `latest`, with an empty tail), `expiredThrough` starts at 0;
   * `keepDocuments` folds the whole tail keeping every tombstone and keeps the origins, `wipe`
   * deletes documents, origins and changesets. One transaction, under the partition's fold lock
   * and row lock: a crash leaves the old epoch or the whole new one.
   */
  async reset(mode: ResetMode): Promise<string> {
    this.assertOpen();
    while (this.exclusive !== undefined) await this.exclusive.catch(() => undefined);
    const run = (async () => {
      // Nothing of this handle's is under way after this: the cache is updated by the reset alone.
      await this.appendChain;
      await this.foldChain;
      const epoch = newEpoch();
      const row = await withTransaction(this.pool, {}, async (tx) => {
        // Durable when it resolves, even where the role or database sets synchronous_commit off for speed.
        await tx.query('set local synchronous_commit to on');
        await this.lockForFold(tx);
        await tx.query('insert into sync_partitions (partition, epoch) values ($1, $2) on conflict do nothing', [this.partition, this.row.epoch]);
        // Locked before anything is read: an upload (any node) committing after the tail was
        // folded or deleted would be left below the new epoch's state, neither state nor tail.
        let current = await this.lockedRow(tx, false);
        if (mode === 'keepDocuments') {
          for (; current.stateVersion < current.latest; current = await this.lockedRow(tx, false)) {
            await this.foldChunk(tx, current, current.latest, Number.NEGATIVE_INFINITY);
          }
        } else {
          await tx.query('delete from sync_changesets where partition = $1', [this.partition]);
          await tx.query('delete from sync_documents where partition = $1', [this.partition]);
          await tx.query('delete from sync_origins where partition = $1', [this.partition]);
        }
        if (mode === 'wipe') await tx.query('update sync_partitions set state_bytes = 0, state_documents = 0, oldest_tombstone_at = null where partition = $1', [this.partition]);
        const [record] = await tx.query<PartitionRecord>(
          `update sync_partitions set epoch = $1, state_version = latest, expired_through = 0
          where partition = $2
          returning epoch, latest, state_version, expired_through, state_bytes, state_documents, oldest_tombstone_at`,
          [epoch, this.partition],
        );
        return rowOf(record!);
      });
      this.row = row;
      this.tail = new TailIndex(row.stateVersion);
      this.cacheWrites++;
      if (mode === 'wipe') this.origins = new Map();
      // Whole: the origins kept are the database's, not this cache's (another node may have written since).
      else await this.reload('whole');
      return epoch;
    })();
    this.exclusive = run;
    try {
      return await run;
    } finally {
      this.exclusive = undefined;
    }
  }

  /** Starts a fold in the background if the policy asks for one (as the file backend's `FoldPolicy`); never fails the caller. */
  maybeFold(): void {
    if (this.closed || this.foldsRunning > 0 || this.exclusive !== undefined || this.row.latest === 0) return;
    const { minTailBytes, tailFraction } = this.options.foldPolicy;
    const now = this.options.now();
    const oldest = this.row.oldestTombstoneAt;
    const big = this.tailBytes > Math.max(minTailBytes, tailFraction * this.stateBytes);
    const expired = oldest !== null && oldest < now - this.options.historyRetentionMs;
    if (!big && !expired) return;
    this.fold({ now, retentionMs: this.options.historyRetentionMs }).catch((error: unknown) =>
      this.options.logger.warn('a background fold failed', { partition: this.partition, error: String(error) }),
    );
  }

  /** Waits for this handle's appends, folds and reset. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.appendChain;
    await this.foldChain;
    await this.exclusive?.catch(() => undefined);
  }

  private async appendNow(origin: string, owner: string, changesets: readonly Changeset[], receivedAtMs: number): Promise<Appended> {
    this.assertOpen();
    if (!Number.isSafeInteger(receivedAtMs) || receivedAtMs < 0) throw new RangeError(`receivedAtMs ${String(receivedAtMs)} is not a whole number of ms ≥ 0`);
    for (const changeset of changesets) if (changeset.origin !== origin) throw new RangeError(`origin ${changeset.origin} is not this file (${origin})`);
    const problem = keyProblem('partition', this.partition) ?? appendProblem(origin, owner, changesets);
    if (problem !== undefined) throw new RangeError(problem);
    if (changesets.length === 0) return { added: [] };
    const result = await withTransaction(this.pool, {}, async (tx) => {
      // Durable when it resolves, even where the role or database sets synchronous_commit off for speed.
      await tx.query('set local synchronous_commit to on');
      // The partition row's lock orders every upload of the partition, on every node: the
      // origin's client version read under it is the stored one, and `latest + n` is gap-free.
      // `no key update`, not `update`: a fold's rows referencing the partition hold a key-share
      // lock on its row, which `for update` would wait for, stalling uploads for a whole fold.
      const lockRow = 'select epoch, latest from sync_partitions where partition = $1 for no key update';
      let [locked] = await tx.query<{ epoch: string; latest: unknown }>(lockRow, [this.partition]);
      if (locked === undefined) {
        // The first write: the partition's row (and so its epoch) becomes durable now, or
        // another node's made meanwhile is locked. Client versions start at 1, so an upload
        // holding none at or above it stores nothing and leaves no row; any other either adds
        // changesets or is refused (and the rollback takes the row back).
        if (!changesets.some((c) => c.clientVersion >= 1)) return undefined;
        await tx.query('insert into sync_partitions (partition, epoch) values ($1, $2) on conflict do nothing', [this.partition, this.row.epoch]);
        [locked] = await tx.query<{ epoch: string; latest: unknown }>(lockRow, [this.partition]);
      }
      const [stored] = await tx.query<{ client_version: unknown; owner: string | null }>('select client_version, owner from sync_origins where partition = $1 and origin = $2', [this.partition, origin]);
      // Decided here, under the row lock, not on the cache: a node that never saw the file's owner
      // must not let another user write in its history (its owner's own changesets would then be
      // skipped as stored).
      if (stored?.owner != null && stored.owner !== owner) throw new RangeError(`file ${origin} belongs to another user`);
      const added = pickNew(changesets, stored === undefined ? 0 : asNumber(stored.client_version));
      if (added.length === 0) return undefined;
      const before = asNumber(locked!.latest);
      const epoch = locked!.epoch;
      const stamped: ServerChangeset[] = added.map((c, i) => ({ ...c, serverVersion: before + i + 1 }));
      const rows = stamped.map((c) => {
        const { json, bytes } = serverChangesetJson(c);
        return { partition: this.partition, epoch, server_version: c.serverVersion, origin, client_version: c.clientVersion, received_at: receivedAtMs, bytes, json };
      });
      await tx.query('update sync_partitions set latest = latest + $1 where partition = $2', [stamped.length, this.partition]);
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        // A row already stored (same partition, epoch, origin and client version) fails the
        // unique constraint and the whole upload with it: never stored twice, under any race.
        // One array parameter per column, unnested into rows: parameterized whatever the count.
        const slice = rows.slice(i, i + ROWS_PER_STATEMENT);
        await tx.query(
          `insert into sync_changesets (partition, epoch, server_version, origin, client_version, received_at, bytes, json)
          select $1::text, $2::text, * from unnest($3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::integer[], $8::text[])`,
          [
            this.partition,
            epoch,
            slice.map((r) => r.server_version),
            slice.map((r) => r.origin),
            slice.map((r) => r.client_version),
            slice.map((r) => r.received_at),
            slice.map((r) => r.bytes),
            slice.map((r) => r.json),
          ],
        );
      }
      const lastVersion = stamped[stamped.length - 1]!.clientVersion;
      const [originRow] = await tx.query<{ owner: string | null }>(
        `insert into sync_origins (partition, origin, client_version, owner) values ($1, $2, $3, $4)
        on conflict (partition, origin) do update set client_version = excluded.client_version, owner = coalesce(sync_origins.owner, excluded.owner)
        returning owner`,
        [this.partition, origin, lastVersion, owner],
      );
      return { epoch, before, stamped, rows, owner: originRow!.owner ?? undefined };
    });
    if (result === undefined) return { added: [] };
    if (result.epoch !== this.row.epoch || result.before !== this.row.latest) {
      // Another node wrote (or reset) the partition since this handle last looked: read what it did.
      await this.reload('extend');
    } else {
      for (const r of result.rows) this.tail.push(tailEntry(r.server_version, origin, r.client_version, r.bytes, receivedAtMs));
      this.row.latest = result.before + result.stamped.length;
      this.origins.set(origin, { clientVersion: result.stamped[result.stamped.length - 1]!.clientVersion, owner: result.owner });
      this.cacheWrites++;
    }
    this.maybeFold();
    return { added: result.stamped };
  }

  /** Folds through `target` a chunk at a time, each chunk one transaction, dropping tombstones last changed before `dropBefore` in the one that reaches it. */
  private async foldNow(target: number, dropBefore: number): Promise<FoldReport> {
    const from = this.row.stateVersion;
    let droppedTombstones = 0;
    for (;;) {
      const outcome = await withTransaction(this.pool, {}, async (tx) => {
        // Durable when it resolves, even where the role or database sets synchronous_commit off for speed.
        await tx.query('set local synchronous_commit to on');
        await this.lockForFold(tx);
        const current = await this.lockedRow(tx, true);
        if (current === undefined) return undefined;
        const limit = Math.max(Math.min(target, current.latest), current.stateVersion);
        if (current.stateVersion >= limit && dropBefore === Number.NEGATIVE_INFINITY) return { row: current, droppedTombstones: 0, done: true };
        const chunk = await this.foldChunk(tx, current, limit, dropBefore);
        return { ...chunk, done: chunk.row.stateVersion >= limit };
      });
      if (outcome === undefined) break;
      // Committed: the cache follows. `latest` stays the cache's own (an append of this handle
      // may have committed before the fold's update and not be in the cache yet).
      droppedTombstones += outcome.droppedTombstones;
      const { epoch, stateVersion, expiredThrough, stateBytes, stateDocuments, oldestTombstoneAt } = outcome.row;
      // Unless a refresh meanwhile brought in a newer state (another node's fold after this one).
      if (epoch === this.row.epoch && stateVersion >= this.row.stateVersion) {
        this.row = { ...this.row, stateVersion, expiredThrough, stateBytes, stateDocuments, oldestTombstoneAt };
        this.cacheWrites++;
        this.tail.dropThrough(stateVersion);
      }
      // Another node's appends, folded here, that this cache never saw: it must not report a
      // state past its own `latest`, so it reads the partition again.
      if (outcome.row.stateVersion > this.row.latest || outcome.row.epoch !== this.row.epoch) await this.reload('extend');
      if (outcome.done) break;
    }
    return { from, to: this.row.stateVersion, documents: this.row.stateDocuments, stateBytes: this.row.stateBytes, droppedTombstones };
  }

  /**
   * One fold transaction: the tail after the state through at most `limit` (and `chunkBytes`)
   * merged into the documents; if that reaches `limit`, retention drops the tombstones of
   * documents last changed before `dropBefore` (only then: a tombstone dropped earlier would let
   * an older-stamped write still in the tail come back). Folded changesets are deleted.
   */
  private async foldChunk(tx: Transaction, current: PartitionRow, limit: number, dropBefore: number): Promise<ChunkResult> {
    const p = this.partition;
    let through = current.stateVersion;
    if (limit > current.stateVersion) {
      const [end] = await tx.query<{ through: unknown }>(
        `with c as (
          select server_version, sum(bytes) over (order by server_version) as run from sync_changesets
          where partition = $1 and server_version > $2 and server_version <= $3
        )
        select coalesce(max(server_version) filter (where run <= $4), min(server_version)) as through from c`,
        [p, current.stateVersion, limit, this.options.foldPolicy.chunkBytes],
      );
      through = asNumber(end!.through);
    }
    let bytesDelta = 0;
    let documentsDelta = 0;
    if (through > current.stateVersion) {
      const stored = await tx.query<{ json: string; received_at: unknown }>(
        `select json, received_at from sync_changesets
        where partition = $1 and server_version > $2 and server_version <= $3
        order by server_version`,
        [p, current.stateVersion, through],
      );
      const changesets = stored.map((r) => {
        const decoded = ServerChangesetCodec.decode(JSON.parse(r.json));
        if (decoded._tag === 'Left') throw new Error(`partition ${p}: a stored changeset is not a server changeset`);
        return { changeset: decoded.right, at: asNumber(r.received_at) };
      });
      const touched = [...touchedDocuments(changesets).values()];
      const writes: Array<{ partition: string; type: string; id: string; v: number; at: number; has_tombstone: boolean; json: string }> = [];
      for (let i = 0; i < touched.length; i += ROWS_PER_STATEMENT) {
        const slice = touched.slice(i, i + ROWS_PER_STATEMENT);
        const existing = await tx.query<{ type: string; id: string; json: string }>(
          `select type, id, json from sync_documents
          where partition = $1 and (type, id) in (select * from unnest($2::text[], $3::text[]))`,
          [p, slice.map((d) => d.type), slice.map((d) => d.id)],
        );
        const old = new Map(existing.map((r) => [documentKeyOf(r.type, r.id), r.json]));
        for (const doc of slice) {
          const oldJson = old.get(documentKeyOf(doc.type, doc.id));
          let state: DocumentState = doc.state;
          if (oldJson !== undefined) {
            state = mergeDocuments(parseDocument(oldJson, p), doc.state);
            const json = JSON.stringify(documentToEntry(doc.type, doc.id, state));
            // Writes that lost change nothing: the document keeps its version and time.
            if (json === oldJson) continue;
            writes.push({ partition: p, type: doc.type, id: doc.id, v: doc.v, at: doc.at, has_tombstone: state.tombstone !== undefined, json });
            bytesDelta += Buffer.byteLength(json, 'utf8') - Buffer.byteLength(oldJson, 'utf8');
          } else {
            if (state.tombstone === undefined && Object.keys(state.fields).length === 0) continue;
            const json = JSON.stringify(documentToEntry(doc.type, doc.id, state));
            writes.push({ partition: p, type: doc.type, id: doc.id, v: doc.v, at: doc.at, has_tombstone: state.tombstone !== undefined, json });
            bytesDelta += Buffer.byteLength(json, 'utf8');
            documentsDelta++;
          }
        }
      }
      for (let i = 0; i < writes.length; i += ROWS_PER_STATEMENT) {
        const slice = writes.slice(i, i + ROWS_PER_STATEMENT);
        await tx.query(
          `insert into sync_documents (partition, type, id, v, at, has_tombstone, json)
          select $1::text, * from unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::boolean[], $7::text[])
          on conflict (partition, type, id) do update set v = excluded.v, at = excluded.at, has_tombstone = excluded.has_tombstone, json = excluded.json`,
          [p, slice.map((w) => w.type), slice.map((w) => w.id), slice.map((w) => w.v), slice.map((w) => w.at), slice.map((w) => w.has_tombstone), slice.map((w) => w.json)],
        );
      }
      await tx.query('delete from sync_changesets where partition = $1 and server_version <= $2', [p, through]);
    }
    let droppedTombstones = 0;
    let expiredThrough = current.expiredThrough;
    if (through >= limit && dropBefore > Number.NEGATIVE_INFINITY) {
      // Retention, a page at a time: every row a page looks at loses its tombstone, so the next
      // query finds only those not looked at yet.
      for (;;) {
        const old = await tx.query<{ type: string; id: string; v: unknown; json: string }>(
          `select type, id, v, json from sync_documents
          where partition = $1 and has_tombstone and at < $2
          order by at limit $3`,
          [p, Math.ceil(dropBefore), ROWS_PER_STATEMENT],
        );
        if (old.length === 0) break;
        const kept: Array<{ partition: string; type: string; id: string; json: string }> = [];
        const gone: string[][] = [[], []];
        for (const r of old) {
          const rest = withoutTombstone(parseDocument(r.json, p));
          droppedTombstones++;
          expiredThrough = Math.max(expiredThrough, asNumber(r.v));
          if (rest === undefined) {
            gone[0]!.push(r.type);
            gone[1]!.push(r.id);
            bytesDelta -= Buffer.byteLength(r.json, 'utf8');
            documentsDelta--;
          } else {
            const json = JSON.stringify(documentToEntry(r.type, r.id, rest));
            kept.push({ partition: p, type: r.type, id: r.id, json });
            bytesDelta += Buffer.byteLength(json, 'utf8') - Buffer.byteLength(r.json, 'utf8');
          }
        }
        if (gone[0]!.length > 0) {
          await tx.query('delete from sync_documents where partition = $1 and (type, id) in (select * from unnest($2::text[], $3::text[]))', [p, gone[0]!, gone[1]!]);
        }
        if (kept.length > 0) {
          await tx.query(
            `update sync_documents as d set has_tombstone = false, json = k.json
            from (select * from unnest($1::text[], $2::text[], $3::text[]) as k(type, id, json))
            as k where d.partition = $4 and d.type = k.type and d.id = k.id`,
            [kept.map((k) => k.type), kept.map((k) => k.id), kept.map((k) => k.json), p],
          );
        }
      }
    }
    const [record] = await tx.query<PartitionRecord>(
      `update sync_partitions set
        state_version = $1,
        expired_through = greatest(expired_through, $2),
        state_bytes = state_bytes + $3,
        state_documents = state_documents + $4,
        oldest_tombstone_at = (select min(at) from sync_documents where partition = $5 and has_tombstone)
      where partition = $5
      returning epoch, latest, state_version, expired_through, state_bytes, state_documents, oldest_tombstone_at`,
      [through, expiredThrough, bytesDelta, documentsDelta, p],
    );
    return { row: rowOf(record!), droppedTombstones };
  }

  /** Takes the partition's fold lock for the transaction: a second fold (any node) waits for it. */
  private async lockForFold(tx: Transaction): Promise<void> {
    await tx.query('select pg_advisory_xact_lock($1, hashtext($2))', [FOLD_LOCK, this.partition]);
  }

  /**
   * The partition row as the transaction sees it now. A fold reads it without a row lock, so
   * appends go on while it runs (they only raise `latest`; the fold's own update of the row
   * waits for theirs, briefly, at its end); a reset locks it.
   */
  private async lockedRow(tx: Transaction, optional: true): Promise<PartitionRow | undefined>;
  private async lockedRow(tx: Transaction, optional: false): Promise<PartitionRow>;
  private async lockedRow(tx: Transaction, optional: boolean): Promise<PartitionRow | undefined> {
    const [record] = optional
      ? await tx.query<PartitionRecord>(
          `select epoch, latest, state_version, expired_through, state_bytes, state_documents, oldest_tombstone_at
          from sync_partitions where partition = $1`,
          [this.partition],
        )
      : await tx.query<PartitionRecord>(
          `select epoch, latest, state_version, expired_through, state_bytes, state_documents, oldest_tombstone_at
          from sync_partitions where partition = $1 for update`,
          [this.partition],
        );
    if (record === undefined) {
      if (optional) return undefined;
      throw new Error(`partition ${this.partition} has no row`);
    }
    return rowOf(record);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`partition ${this.partition} is closed`);
  }
}

/** The changesets of `changesets` after client version `stored`, which must follow it without a gap (else a `RangeError`). */
function pickNew(changesets: readonly Changeset[], stored: number): Changeset[] {
  const added: Changeset[] = [];
  let expected = stored + 1;
  for (const changeset of changesets) {
    if (changeset.clientVersion < expected) continue;
    if (changeset.clientVersion !== expected) throw new RangeError(`client version ${changeset.clientVersion} follows ${expected - 1}`);
    added.push(changeset);
    expected++;
  }
  return added;
}

/** A stored document's state, checked whole. */
function parseDocument(json: string, partition: string): DocumentState {
  const entry = DocumentEntryCodec.decode(JSON.parse(json));
  if (entry._tag === 'Left') throw new Error(`partition ${partition}: a stored document is not a document entry`);
  return entryToDocument(entry.right);
}

/**
 * Why an append cannot be stored as sent, or undefined: its keys (origin, every type and id;
 * the partition's name is checked beside it) must be keys as the protocol bounds them
 * (`keyProblem`; the server refuses others at upload, so this is a defence in depth), and the
 * owner storable text. PostgreSQL's `text` holds UTF-8 without NUL, so a lone surrogate would be
 * stored as U+FFFD (two document ids becoming one row, one's state lost) and a NUL refused at
 * the first fold or reset; a key over its limit would make an index entry PostgreSQL refuses,
 * at the append or at every fold after it. Refused before anything is written instead.
 */
function appendProblem(origin: string, owner: string, changesets: readonly Changeset[]): string | undefined {
  return keyProblem('fileIdent', origin) ?? storableTextProblem('owner', owner) ?? changesetsKeyProblem(changesets);
}
