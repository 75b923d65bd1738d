/**
 * The server's storage port: everything the sync logic needs from durable state, and nothing
 * about how it is kept. The file backend (`file/`) implements it today; a second backend
 * (PostgreSQL) implements the same interfaces and runs the same acceptance suite
 * (`test/server/storage/acceptance.ts`).
 *
 * A partition is its **state** as of server version `stateVersion` (every document's fields with
 * their stamps, and tombstones, each document with the server version that last changed it) plus
 * its **tail**: the changesets after `stateVersion`, in server-version order. Folding moves a
 * prefix of the tail into the state; nothing else changes what a reader can see, so for any
 * history, `fold(state, tail)` equals the fold of the whole history (the property the suite holds).
 *
 * Every method that writes resolves only once what it wrote is on stable storage (per the
 * backend's durability), and only what is on stable storage is ever read back: a server version
 * a reader saw is never given to other content after a crash.
 */
import type { Changeset, ServerChangeset } from '../../protocol/changeset.codec.js';
import type { ChangeFeed } from './change-feed.js';
import type { OpenLoginAttempts } from './login-attempt-store.js';
import type { StoredUser } from './stored-user.js';

export type { StoredUser };

/** The bookkeeping of one file (origin) that wrote to a partition. */
export interface OriginState {
  /** The highest client version of the origin on stable storage: what its sessions are told is acknowledged. */
  readonly clientVersion: number;
  /** The user whose upload first brought the origin's changesets: a file ident belongs to one user. */
  readonly owner: string | undefined;
}

/** What `append` did. */
export interface Appended {
  /** The changesets newly stored, with their server versions (those stored before are skipped). */
  readonly added: readonly ServerChangeset[];
}

/** One batch of the tail for a client. */
export interface TailBatch {
  /** The JSON text of each changeset as a DOWNLOAD carries it (`serverChangesetJson`), other origins' only. */
  readonly changesetJson: readonly string[];
  /** The server version the client is at after this batch. */
  readonly through: number;
}

/**
 * One batch of a state read: documents as their wire JSON (a `DocumentEntry` of
 * `src/store/store-records.ts`: fields with stamps, tombstone), and how much of the read is left.
 */
export interface StateBatch {
  readonly documentJson: readonly string[];
  /** Bytes (UTF-8 of `documentJson`) of this read still after this batch. */
  readonly remainingBytes: number;
  /** True when this was the last batch of the read. */
  readonly done: boolean;
}

/**
 * A read of the documents of one state generation changed after a cursor: pinned to that
 * generation, so a fold that replaces the state meanwhile does not move what it reads.
 */
export interface StateReader {
  /** The state generation's `stateVersion`: a client that merged every batch is at this server version. */
  readonly stateVersion: number;
  /**
   * The epoch of the state read (`undefined`: the partition has no durable epoch yet, so its
   * initial one). With several writers it may be newer than the handle's: another node reset
   * the partition, and a session of the handle's epoch must not be sent the new one's documents.
   */
  readonly epoch: string | undefined;
  /** Bytes of the whole read (the unit of bootstrap progress). */
  readonly totalBytes: number;
  /** The next batch: at most `maxBytes` of documents, at least one while any are left. */
  next(maxBytes: number): Promise<StateBatch>;
  /** Lets go of the generation (idempotent). */
  close(): Promise<void>;
}

/** Why a tail read could not be served: the versions after `after` were folded meanwhile. */
export interface Folded {
  readonly folded: true;
  /** The state's version now: read the state's changes since `after` instead. */
  readonly stateVersion: number;
}

/** What a fold did (for logs, tests and the bench). */
export interface FoldReport {
  /** The state's version before and after. */
  readonly from: number;
  readonly to: number;
  /** Documents in the state after the fold, and its bytes. */
  readonly documents: number;
  readonly stateBytes: number;
  /** Tombstones dropped by retention in this fold. */
  readonly droppedTombstones: number;
}

/** How a new epoch begins (see `PartitionHandle.reset`). */
export type ResetMode = 'keepDocuments' | 'wipe';

/**
 * One open partition. One handle per partition per process (the backend hands out the same one
 * until it is released by all). Reads are bounded by the `maxBytes` they are given; the handle
 * holds no changeset or document in memory beyond bookkeeping (origins, indexes of offsets).
 */
export interface PartitionHandle {
  readonly partition: string;
  /** The epoch: cursors of another epoch need a client reset. */
  readonly epoch: string;
  /** The newest server version on stable storage (0 when the partition is empty); only these are read. */
  readonly latest: number;
  /** The server version the state covers: versions at or below it are only in the state. */
  readonly stateVersion: number;
  /**
   * The newest server version of a tombstone retention dropped (0 if none). A client whose
   * download cursor is above 0 and below it cannot be caught up safely: `clientFileExpired`.
   */
  readonly expiredThrough: number;
  /** Bytes of the state's documents (as `StateReader.totalBytes` of a read from 0 counts them). */
  readonly stateBytes: number;
  /** Bytes of the tail's changesets (`changesetBytes`). */
  readonly tailBytes: number;
  /** The bookkeeping of `origin` (client version 0 and no owner if it never wrote). */
  origin(origin: string): OriginState;
  /**
   * Stores the changesets of one upload of `origin` by `owner`, received at `receivedAtMs` (the
   * server's clock: the age retention counts from). They are the origin's, in client-version
   * order; those at or below the origin's stored client version are skipped (a re-sent upload is
   * stored once, also when two uploads of one origin race), and the rest must follow it without a
   * gap (else it rejects with a `RangeError`, storing none). `receivedAtMs` must be a whole
   * number of ms ≥ 0 (else a `RangeError`, storing none): a backend keeps it with the changesets.
   * An origin whose changesets another owner brought is refused (a `RangeError`, storing none),
   * decided against storage (with several writers a handle's `origin()` may not know the owner yet).
   * Resolves once they are durable.
   */
  append(origin: string, owner: string, changesets: readonly Changeset[], receivedAtMs: number): Promise<Appended>;
  /**
   * The next tail batch after server version `after` (≥ `stateVersion`) for file `origin`, its
   * own changesets left out: at most `maxBytes` of changesets (at least one while any are left).
   */
  readTail(after: number, origin: string, maxBytes: number): Promise<TailBatch | Folded>;
  /** Bytes of changesets after `after` that `origin` did not write (`after` below the state counts from it). */
  tailBytesAfter(after: number, origin: string): number;
  /** A read of the state's documents changed after server version `after` (0: every document). */
  readState(after: number): Promise<StateReader>;
  /**
   * Folds the tail through `through` (default: all that is durable) into the state, dropping
   * tombstones last changed more than `retentionMs` before `now`. Appends and reads go on while
   * it runs; a crash at any instant leaves the old state and tail or the new ones, whole.
   */
  fold(options: { readonly now: number; readonly retentionMs: number; readonly through?: number }): Promise<FoldReport>;
  /**
   * Starts a new epoch, durably and atomically (a crash leaves the old epoch or the whole new
   * one): `keepDocuments` begins it with the partition's documents (every field and tombstone
   * with its stamp) and origins; `wipe` with nothing. Resolves to the new epoch.
   */
  reset(mode: ResetMode): Promise<string>;
  /**
   * Brings the bookkeeping the getters answer from (`epoch`, `latest`, `stateVersion`, origins,
   * tail sizes) up to what other writers of the storage committed: other server processes on
   * one database. Writes never need it (they decide against storage, under its locks); a check
   * that would refuse a client on what this handle last saw (a cursor past `latest`, an upload
   * after a client version it does not know, another epoch) does, before it refuses. A backend
   * with one writer (the file backend locks its directory) has nothing to bring in.
   */
  refresh(): Promise<Refreshed>;
}

/** What a {@link PartitionHandle.refresh} brought in. */
export interface Refreshed {
  /** The epoch is another one: the partition was reset (its sessions must reset). */
  readonly epochChanged: boolean;
  /** `latest` moved: there are new changesets for its sessions. */
  readonly grew: boolean;
}

/** The partitions of one storage. */
export interface PartitionStore {
  /**
   * The handle of `partition`, opened if needed, for one more user; `release` it when done. A
   * partition opened and never written costs nothing durable: released, it is as if never opened.
   */
  acquire(partition: string): Promise<PartitionHandle>;
  /** One user of `partition`'s handle is done; the last lets go of what it holds. */
  release(partition: string): Promise<void>;
  /**
   * Of `partitions` (each with a handle open here), those whose handle is behind storage:
   * another writer committed to them since the handle last looked (see `PartitionHandle.refresh`).
   * One read for them all, so a node can check every partition its sessions watch at each poll.
   * A backend with one writer answers none.
   */
  behind(partitions: readonly string[]): Promise<readonly string[]>;
}

/** The shortest token secret a store keeps: a stored one shorter (an empty file a crash left) is replaced. */
export const MIN_TOKEN_SECRET_LENGTH = 32;

/**
 * The server's auth state: users with password hashes, revoked users, the token secret. It is
 * small (a record per user), so the server reads it whole at start. Records read back that are
 * not of the stored shape (see `isStoredUser`) are left out; a record that cannot be read at all
 * (damage, not a torn write) fails the read, naming where it is, rather than forget it. Every
 * backend runs the same acceptance suite (`test/server/storage/auth-acceptance.ts`).
 */
export interface AuthStore {
  /**
   * The stored users, one per email: the record added last for an email wins. In the order
   * their emails were first added.
   */
  users(): Promise<readonly StoredUser[]>;
  /** Stores `user`, durably once it resolves; from then on it is its email's record. */
  addUser(user: StoredUser): Promise<void>;
  /** The users revoked, each once, in the order they were first revoked. */
  revokedUsers(): Promise<readonly string[]>;
  /** Stores that `userId` is revoked, durably once it resolves; revoking a revoked user stores nothing more. */
  revoke(userId: string): Promise<void>;
  /**
   * The stored token secret. When none is stored, or it is shorter than
   * {@link MIN_TOKEN_SECRET_LENGTH}, a random one is made and stored durably before it resolves;
   * every later call, and every later opening of the storage, gets that one.
   */
  tokenSecret(): Promise<string>;
  /** Lets go of what the store holds (files, connections); nothing is called after it. `ServerStorage.close` closes it. */
  close(): Promise<void>;
}

/**
 * One storage backend as a server opens it: the file backend is opened by one server at a time
 * (a second opener is refused, not raced); the PostgreSQL backend by any number of server
 * processes (nodes) at once, which hear each other's commits through `feed`.
 */
export interface ServerStorage {
  readonly partitions: PartitionStore;
  readonly auth: AuthStore;
  /** How the nodes on this storage hear what the others committed (`singleNodeFeed` for a storage of one node). */
  readonly feed: ChangeFeed;
  /**
   * The failed-login windows (`loginAttempts`): in this process's memory for a storage of one
   * server (files), in a table every node shares on PostgreSQL, so that n nodes do not allow
   * n × the attempts.
   */
  readonly loginAttempts: OpenLoginAttempts;
  /** Where the data is, for the server's log (a directory, or the database without its password). */
  readonly location: string;
  /**
   * Whether `error`, from one of this storage's methods, says the storage cannot be reached at
   * all (a database this node lost), rather than that one operation failed: a node in that state
   * serves nothing, so it sends its clients elsewhere. Always false for local files.
   */
  unreachable(error: unknown): boolean;
  /** History files held open now (the file backend's `maxOpenHistories` budget; 0 where none are held). */
  openPartitionFiles(): number;
  /** Waits for background work (folds), syncs and closes everything; nothing opens after it. */
  close(): Promise<void>;
}
