import { DEFAULT_MAX_MESSAGE_BYTES } from '../protocol/limits.js';
import type { Logger } from '../store/logger.js';
import { arrayOf, custom, describeValue, func, num, obj, oneOf, str, validateOptions, withMethods, withoutUndefined } from '../config/option-schema.js';
import { timerMs } from '../config/timing.js';
import type { LoginAttemptLimits } from './login-limiter.js';
import type { StorageChange } from './storage/change-feed.js';
import { isClock, systemClock, type Clock } from '../time/clock.js';
import { nodeFileSystem, type FileSystem } from '../store/file-system.js';
import { cryptoRandom, type RandomSource } from '../time/random-source.js';
import { DEFAULT_PASSWORD_COST, passwordCostProblem, type PasswordCost } from './password-hash.js';
import { DEFAULT_FOLD_POLICY } from './storage/file/file-partition-store.js';

/** The shortest `headersTimeoutMs` / `requestTimeoutMs`. */
export const MIN_HTTP_TIMEOUT_MS = 100;

/** What a user may do in a partition. */
export type Permission = 'none' | 'read' | 'readWrite';

/** A user of the `emailPassword` provider. */
export interface EmailPasswordUser {
  readonly email: string;
  readonly password: string;
}

/** Options of `startServer`. */
export interface ServerOptions {
  /** Interface to listen on; `127.0.0.1` unless told otherwise. */
  readonly host?: string;
  /** Port; 0 (the default) picks a free one. */
  readonly port?: number;
  /**
   * Where histories and the token secret live, for a server on local files (one process at a
   * time; see `postgres` for several). Required unless `postgres` is given, refused with it.
   */
  readonly dataDir?: string;
  /**
   * `postgres://user:password@host:port/database`: everything durable (histories, partition
   * state, epochs, users, revocations, the token secret) lives in that database instead of
   * `dataDir`, and any number of servers (nodes) may serve it at once: a client may move between
   * them, and tokens from one are valid on all. The schema is created or migrated at start.
   */
  readonly postgres?: string;
  /**
   * With `postgres`: the most connections this node's pool opens (its uploads, folds and the
   * state reads of bootstrapping clients share them; state reads take at most half), besides
   * one that listens for the other nodes. Default 10.
   */
  readonly postgresPoolSize?: number;
  /**
   * With `postgres`: how often (ms) a node checks the database for what other nodes committed
   * to the partitions its sessions watch, and for logouts, in case a notification was lost. A
   * lost notification delays delivery by at most this. Default 1 s.
   */
  readonly pollIntervalMs?: number;
  /**
   * A fault hook for tests, with `postgres`: a notification from another node for which it
   * returns true is dropped on arrival, as if the database had lost it. Not for production.
   */
  readonly dropNotifications?: (change: StorageChange) => boolean;
  /** Users of the `emailPassword` provider. */
  readonly users?: readonly EmailPasswordUser[];
  /** Who may read or write which partition; every user may read and write by default. */
  readonly permissions?: (userId: string, partition: string) => Permission;
  /** Lifetime of an access token. Default 30 minutes. */
  readonly accessTokenTtlMs?: number;
  /** Lifetime of a refresh token. Default 30 days. */
  readonly refreshTokenTtlMs?: number;
  /**
   * Frames larger than this get `messageTooBig`. Default 16 MiB. Every IDENT answer names it, and
   * the largest changeset an UPLOAD can then carry (`maxChangesetBytes`, 1 KiB less).
   */
  readonly maxMessageBytes?: number;
  /** Secret that signs tokens; generated and kept in `dataDir` when absent. */
  readonly secret?: string;
  /**
   * How long (ms) the server keeps a deletion's tombstone in a partition's state: older ones are
   * dropped when the state is folded, and a client whose download cursor is older than a dropped
   * one gets `clientFileExpired` (a client reset). Named in every IDENT answer; clients drop
   * their own acknowledged tombstones older than it. Default 30 days.
   */
  readonly historyRetentionMs?: number;
  /** Most bytes of changesets in one DOWNLOAD. Default 1 MiB. */
  readonly downloadBatchBytes?: number;
  /**
   * A partition's tail (the changesets since its state was last written) is folded into its
   * state once it holds more than this many bytes and more than half the state's. Default 1 MiB.
   * Lower it to keep histories short (each fold rewrites the state), or in a simulation, to fold often.
   */
  readonly foldTailBytes?: number;
  /**
   * How far (ms) an uploaded changeset's HLC wall may run ahead of the server's clock; one
   * further ahead is refused with `clockSkew`. Default 10 minutes.
   */
  readonly maxClockSkewMs?: number;
  /**
   * `full` (default): every integrated upload is fsynced before it is acknowledged. `batched`:
   * uploads integrated at once share an fsync; still acknowledged, and sent to other sessions,
   * only after it.
   */
  readonly durability?: 'full' | 'batched';
  /**
   * Failed `emailPassword` logins allowed before `/auth/login` answers 429 with `Retry-After`.
   * Defaults: 10 per email and 100 per client address in 15 minutes, 10,000 emails and
   * addresses tracked at most.
   */
  readonly loginAttempts?: Partial<LoginAttemptLimits>;
  /**
   * The scrypt cost of new password hashes: `N` (a power of two, 2 to 2^20), `r` (1–32), `p`
   * (1–16). Default N = 2^15, r = 8, p = 1 (about 0.1 s per login). Lower it only for tests and
   * simulations: each guess of someone who stole the stored hashes costs what a login costs.
   */
  readonly passwordHashing?: PasswordCost;
  /** The server's clock (token expiry, login windows); `Date.now` by default. For tests. */
  readonly now?: () => number;
  /**
   * The server's time and timers (a {@link Clock}: `{ now, setTimeout, clearTimeout }`), for
   * simulations: what `now` reads, and what the sync connections' timers are set on. Not with `now`.
   */
  readonly clock?: Clock;
  /** Where new partition epochs come from (`crypto.randomBytes` by default); a simulation passes a seeded source. */
  readonly random?: RandomSource;
  /**
   * The file port of the file backend (`dataDir`): the real file system by default; a
   * simulation's disk (`sync-session/testing`), whose crashes keep only what was synced. Not with `postgres`.
   */
  readonly fileSystem?: FileSystem;
  readonly logger?: Logger;
  /**
   * Most bytes a socket may have waiting to be sent (what the socket buffers plus the replies
   * queued behind its downloads); a socket over it does not read, and is closed (1008). Default
   * the larger of 64 MiB and 4 × the biggest frame (`maxMessageBytes`, `downloadBatchBytes`);
   * at least 2 × that frame. Frames received and not handled yet past it: the socket is not
   * read until they are.
   */
  readonly maxSocketBufferBytes?: number;
  /** Frames one socket may send per second (a burst of one second's worth); over it: `tooManyFrames`, closed. Default 50,000. */
  readonly maxFramesPerSecond?: number;
  /** History files held open at once; the least recently written is closed (and reopened when written again). Default 256. */
  readonly maxOpenHistories?: number;
  /** Sessions bound at once on one socket; one more BIND gets `tooManySessions`. Default 16,384. */
  readonly maxSessionsPerSocket?: number;
  /** Sockets with a session of one user at once; a BIND on one more gets `tooManySockets`. Default 128. */
  readonly maxSocketsPerUser?: number;
  /** An HTTP request (auth, or a WebSocket upgrade) whose headers take longer is cut (408). Default 10 s. */
  readonly headersTimeoutMs?: number;
  /** An HTTP request (headers and body) that takes longer to arrive is cut (408). Default 30 s; at least `headersTimeoutMs`. */
  readonly requestTimeoutMs?: number;
  /** Open TCP connections (HTTP and sync sockets); more are dropped when they connect. Default 512. */
  readonly maxConnections?: number;
}

/** Where a server keeps its data: `dataDir`, or the database of `postgres`. */
export type StorageChoice =
  | { readonly kind: 'file'; readonly dataDir: string; readonly fileSystem: FileSystem }
  | {
      readonly kind: 'postgres';
      readonly url: string;
      readonly poolSize: number;
      readonly pollIntervalMs: number;
      readonly dropNotifications?: (change: StorageChange) => boolean;
    };

/** `ServerOptions` with every default filled in. */
export interface ResolvedServerOptions extends Required<Omit<ServerOptions, 'secret' | 'logger' | 'loginAttempts' | 'dataDir' | 'postgres' | 'pollIntervalMs' | 'dropNotifications' | 'postgresPoolSize' | 'fileSystem'>> {
  readonly storage: StorageChoice;
  readonly secret: string | undefined;
  readonly loginAttempts: LoginAttemptLimits;
  readonly logger: Logger;
}

/** The availability limits (see `ServerOptions`), with their defaults and the checks that relate them. */
function resolveLimits(options: ServerOptions, maxMessageBytes: number, downloadBatchBytes: number) {
  const biggestFrame = Math.max(maxMessageBytes, downloadBatchBytes);
  const maxSocketBufferBytes = options.maxSocketBufferBytes ?? Math.max(64 * 1024 * 1024, 4 * biggestFrame);
  // A socket that reads, slowly, still has one whole frame and the downloads' high water unsent.
  if (maxSocketBufferBytes < 2 * biggestFrame) {
    throw new TypeError(`startServer: maxSocketBufferBytes must be at least 2 × the biggest frame (${2 * biggestFrame} bytes), got ${maxSocketBufferBytes}`);
  }
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? Math.max(30_000, headersTimeoutMs);
  // node:http refuses a headers timeout longer than the request's.
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new TypeError(`startServer: requestTimeoutMs must be at least headersTimeoutMs (${headersTimeoutMs}), got ${requestTimeoutMs}`);
  }
  return {
    maxSocketBufferBytes,
    maxFramesPerSecond: options.maxFramesPerSecond ?? 50_000,
    maxOpenHistories: options.maxOpenHistories ?? 256,
    maxSessionsPerSocket: options.maxSessionsPerSocket ?? 16_384,
    maxSocketsPerUser: options.maxSocketsPerUser ?? 128,
    headersTimeoutMs,
    requestTimeoutMs,
    maxConnections: options.maxConnections ?? 512,
  };
}

const SAFE = Number.MAX_SAFE_INTEGER;
/** A count of things (frames, files, sessions, sockets, attempts): a whole number, at least 1. */
const countSchema = num({ min: 1, max: SAFE, integer: true });
/** A size in bytes: whole, at least 1. */
const bytesSchema = num({ min: 1, max: SAFE, integer: true, unit: 'bytes' });
/** A lifetime or window compared with the clock, never a timer: whole ms, up to 100 years (expiry = now + it stays a safe date). */
const clockSpanMs = num({ min: 1, max: 100 * 365 * 24 * 3_600_000, integer: true, unit: 'ms' });

/** Every option of `startServer`, nested ones included: an unknown key or a bad value is refused by name. */
const serverSchema = obj({
  host: str({ nonEmpty: true }),
  port: num({ min: 0, max: 65_535, integer: true }),
  dataDir: str({ nonEmpty: true, expected: 'a non-empty path' }),
  postgres: custom('a postgres:// or postgresql:// URL', isPostgresUrl),
  pollIntervalMs: timerMs(10),
  // Two at least: a state read takes at most half, and an upload needs one beside it.
  postgresPoolSize: num({ min: 2, max: 1_000, integer: true }),
  dropNotifications: func('a function (change) => boolean'),
  users: arrayOf(obj({ email: { schema: str({ nonEmpty: true }), required: true }, password: { schema: str(), required: true } }, 'an object { email, password }')),
  permissions: func('a function (userId, partition) => permission'),
  accessTokenTtlMs: clockSpanMs,
  refreshTokenTtlMs: clockSpanMs,
  // Named in every IDENT, which the client's codec takes only as a safe integer (else every
  // session fails at its IDENT); below 4 KiB an UPLOAD's 1 KiB envelope leaves no room to sync.
  maxMessageBytes: num({ min: 4 * 1024, max: SAFE, integer: true, unit: 'bytes' }),
  secret: str({ minLength: 16 }),
  downloadBatchBytes: bytesSchema,
  foldTailBytes: bytesSchema,
  historyRetentionMs: clockSpanMs,
  // Compared with stamps, never added to a date: a bound no stamp exceeds turns the check off
  // (what a server before the check did; the tests of such histories need it).
  maxClockSkewMs: num({ min: 1, max: SAFE, integer: true, unit: 'ms' }),
  durability: oneOf(['full', 'batched']),
  loginAttempts: obj({ perEmail: countSchema, perAddress: countSchema, windowMs: clockSpanMs, maxTracked: countSchema }),
  passwordHashing: custom('{ N, r, p }: N a power of two from 2 to 2^20, r from 1 to 32, p from 1 to 16', isPasswordCost),
  now: func('a function returning milliseconds since the epoch'),
  clock: custom('a Clock { now, setTimeout, clearTimeout }', isClock),
  random: func('a function (n) => Uint8Array of n random bytes'),
  fileSystem: withMethods('a FileSystem (the file port of sync-session/testing)', ['openSync', 'writeSync', 'fsyncSync', 'tryLockFile']),
  logger: withMethods('a Logger (an object with info and warn methods)', ['info', 'warn']),
  maxSocketBufferBytes: bytesSchema,
  maxFramesPerSecond: countSchema,
  maxOpenHistories: countSchema,
  maxSessionsPerSocket: countSchema,
  maxSocketsPerUser: countSchema,
  // node:http's timers: below 100 ms a request on a loaded machine is cut before its headers arrive.
  headersTimeoutMs: timerMs(MIN_HTTP_TIMEOUT_MS),
  requestTimeoutMs: timerMs(MIN_HTTP_TIMEOUT_MS),
  maxConnections: countSchema,
});

/**
 * Checks the options' shape (every key known, every value of its type and range) before anything
 * else reads them: `startServer()` with none, or a misspelt key, is a `TypeError` naming the field.
 */
export function checkServerOptions(options: unknown): asserts options is ServerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`startServer: options must be an object with at least dataDir (where histories live) or postgres (a database URL), got ${describeValue(options)}`);
  }
  validateOptions('startServer', serverSchema, options);
  const { dataDir, postgres } = options as ServerOptions;
  if (dataDir === undefined && postgres === undefined) {
    throw new TypeError('startServer: dataDir (where histories live) or postgres (a database URL, for several nodes) is required');
  }
  if ((options as ServerOptions).now !== undefined && (options as ServerOptions).clock !== undefined) {
    throw new TypeError('startServer: now and clock are two clocks: give one of them (a clock has its own now)');
  }
  if (postgres !== undefined && (options as ServerOptions).fileSystem !== undefined) {
    throw new TypeError('startServer: fileSystem is the file port of dataDir; a postgres server keeps no files');
  }
  if (dataDir !== undefined && postgres !== undefined) {
    throw new TypeError('startServer: dataDir and postgres are two places for the same data: give one of them');
  }
}

function isPasswordCost(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { N, r, p, ...rest } = value as Record<string, unknown>;
  return Object.keys(rest).length === 0 && passwordCostProblem({ N: N as number, r: r as number, p: p as number }) === undefined;
}

/** Whether `value` is a URL the PostgreSQL driver takes as a connection string. */
function isPostgresUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Checks every option and fills in defaults; bad configuration throws a `TypeError` naming the field. */
export function resolveServerOptions(options: ServerOptions, logger: Logger): ResolvedServerOptions {
  checkServerOptions(options);
  const port = options.port ?? 0;
  const users = options.users ?? [];
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const downloadBatchBytes = options.downloadBatchBytes ?? 1024 * 1024;
  return {
    ...resolveLimits(options, maxMessageBytes, downloadBatchBytes),
    host: options.host ?? '127.0.0.1',
    port,
    storage:
      options.postgres !== undefined
        ? { kind: 'postgres', url: options.postgres, poolSize: options.postgresPoolSize ?? 10, pollIntervalMs: options.pollIntervalMs ?? 1_000, dropNotifications: options.dropNotifications }
        : { kind: 'file', dataDir: options.dataDir!, fileSystem: options.fileSystem ?? nodeFileSystem },
    users,
    permissions: options.permissions ?? (() => 'readWrite'),
    accessTokenTtlMs: options.accessTokenTtlMs ?? 30 * 60_000,
    refreshTokenTtlMs: options.refreshTokenTtlMs ?? 30 * 24 * 3_600_000,
    maxMessageBytes,
    downloadBatchBytes,
    foldTailBytes: options.foldTailBytes ?? DEFAULT_FOLD_POLICY.minTailBytes,
    historyRetentionMs: options.historyRetentionMs ?? 30 * 24 * 3_600_000,
    maxClockSkewMs: options.maxClockSkewMs ?? 10 * 60_000,
    durability: options.durability ?? 'full',
    loginAttempts: { perEmail: 10, perAddress: 100, windowMs: 15 * 60_000, maxTracked: 10_000, ...withoutUndefined(options.loginAttempts ?? {}) },
    now: options.clock === undefined ? (options.now ?? Date.now) : () => options.clock!.now(),
    clock: options.clock ?? (options.now === undefined ? systemClock : { ...systemClock, now: options.now }),
    random: options.random ?? cryptoRandom,
    passwordHashing: options.passwordHashing ?? DEFAULT_PASSWORD_COST,
    secret: options.secret,
    logger,
  };
}
