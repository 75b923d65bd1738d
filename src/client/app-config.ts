import type { InspectionEvent, Observer } from 'xstate';
import { defaultConnectTimeoutMs, type KeepaliveOptions, type NonEmptyList } from '../../machines/connection.machine.js';
import type { ReconnectOptions } from '../../machines/backoff.js';
import type { Logger } from '../store/logger.js';
import { stderrLogger } from '../store/logger.js';
import type { Transport } from '../transport/transport.js';
import { isClock, systemClock, type Clock } from '../time/clock.js';
import { nodeFileSystem, type FileSystem } from '../store/file-system.js';
import { cryptoRandom, type RandomSource } from '../time/random-source.js';
import type { AuthTransport } from '../transport/auth-transport.js';
import { fetchAuthTransport } from '../transport/fetch-auth-transport.js';
import { createRelayInspector, DEFAULT_INSPECT_URL } from '../inspect/relay-inspector.js';
import { describeValue, func, num, obj, oneOf, str, validateOptions, withMethods, withoutUndefined, type OptionSchema } from '../config/option-schema.js';
import { baseUrlSchema, copyBaseUrl, resolveBaseUrls } from './base-urls.js';
import { libraryUserAgent, userAgentSchema } from './http-headers.js';
import { MIN_KEEPALIVE_MS, MIN_RETRY_DELAY_MS, timerMs } from '../config/timing.js';
import type { SyncSession } from './sync-session.js';
import type { SyncError } from './errors.js';

/** An XState inspection observer, as `createActor(…, { inspect })` takes it. */
export type InspectObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** Options of `new App(...)`. */
export interface AppConfig {
  /**
   * The server's base URL, as `startServer` returns it: `http://host:port`; or the base URLs of
   * its nodes (at most 64, distinct), which share one token secret and one set of users. The
   * client uses one node at a time and moves to the next when it cannot reach it
   * (docs/SEMANTICS.md §2.8).
   */
  readonly baseUrl: string | readonly string[];
  /** Where local realm files go when `Realm.open` is given no path. */
  readonly storageDir: string;
  readonly reconnect?: Partial<ReconnectOptions>;
  readonly keepalive?: Partial<KeepaliveOptions>;
  /**
   * How long a socket may take to open (TCP, TLS and the WebSocket upgrade) before the attempt
   * counts as failed and the next node is tried after the backoff. Default 15 s (Realm's is
   * 120 s: too long to sit on a node that accepts TCP and never answers); at least 50 ms.
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long a shared socket stays open after its last session leaves, for reuse. Default 30 s.
   * A lingering socket does not keep the process alive.
   */
  readonly lingerMs?: number;
  /** Wait before retrying a token refresh that failed for a network reason. Default 5 s. */
  readonly refreshRetryDelayMs?: number;
  /**
   * When a local commit is on disk: `full` (default) before `write` returns; `batched` once
   * per event-loop tick, trading the last tick's commits on power loss for speed.
   */
  readonly durability?: 'full' | 'batched';
  /**
   * The clock. A function (`Date.now` by default) is the wall clock alone: what decides whether
   * an access token has expired and stamps commits; tests move it. A {@link Clock} object
   * (`{ now, setTimeout, clearTimeout }`, such as `sync-session/testing`'s simulated clock) is
   * also what every timer of the runtime is set on: backoff, keepalive, linger, connect
   * timeout, token refresh and upload retries.
   */
  readonly clock?: (() => number) | Clock;
  /**
   * Where new file idents and the backoff's jitter seed come from (`crypto.randomBytes` by
   * default). A simulation passes a seeded source, so that a seed replays the run (a file ident
   * breaks ties between equal stamps).
   */
  readonly random?: RandomSource;
  /**
   * Inspection of every session and connection actor (and their children): an XState
   * inspection observer; `true` to send them to a relay started by `sync-session inspect` on
   * its default port (`ws://127.0.0.1:9777`); or `{ url }` for a relay elsewhere on this machine.
   */
  readonly inspect?: InspectObserver | true | { readonly url: string };
  /**
   * Where the runtime reports what goes wrong outside any caller's reach (a session error with
   * no `onError`, a file recovered on open). Default `stderrLogger`: warnings to stderr;
   * `silentLogger` opts out.
   */
  readonly logger?: Logger;
  /**
   * The app-wide error handler (Realm's `onError` of the sync manager): hears the errors of every
   * session opened without its own `sync.onError`, as `(session, error)`. Without either, the
   * error goes to the logger.
   */
  readonly onSyncError?: (session: SyncSession, error: SyncError) => void;
  /** The socket implementation; WebSockets by default. */
  readonly transport?: Transport;
  /**
   * The file port: every file the runtime reads or writes (realm files, locks, user folders,
   * pending error actions) goes through it. The real file system by default; a simulation
   * passes a simulated disk (`sync-session/testing`), whose crashes keep only what was synced.
   */
  readonly fileSystem?: FileSystem;
  /**
   * How login and token refresh requests are sent; `fetch` by default. It resolves with any
   * answer the node gives (a 401 included) and rejects only when there was none, which sends the
   * request to the next node (docs/SEMANTICS.md §2.8).
   */
  readonly authTransport?: AuthTransport;
  /**
   * Added to the `User-Agent` of every request the client makes (login, token refresh, the sync
   * socket's WebSocket upgrade), after the library's own: `sync-session/<version> (Node
   * <version>) <userAgent>`, to name the app to its server. Visible ASCII and spaces, 1 to 256
   * characters.
   */
  readonly userAgent?: string;
}

/** `AppConfig` checked, with defaults. */
export interface ResolvedAppConfig {
  /** The origins of `baseUrl`, in the order they are tried: one entry for a single URL. */
  readonly baseUrls: NonEmptyList<string>;
  readonly storageDir: string;
  readonly reconnect: Partial<ReconnectOptions>;
  readonly keepalive: Partial<KeepaliveOptions>;
  readonly connectTimeoutMs: number;
  readonly lingerMs: number;
  readonly refreshRetryDelayMs: number;
  /** Time and timers: the given `Clock`, or the given wall clock with Node's timers. */
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly durability: 'full' | 'batched';
  /** Where inspection events go, if anywhere (a relay's observer when `inspect` named a relay). */
  readonly inspect: InspectObserver | undefined;
  /** Closes the relay link that `inspect: true | { url }` opened; called by `app.close()`. */
  readonly stopInspect: () => void;
  readonly logger: Logger;
  readonly onSyncError: ((session: SyncSession, error: SyncError) => void) | undefined;
  readonly transport: Transport | undefined;
  readonly fileSystem: FileSystem;
  readonly authTransport: AuthTransport;
  /** The whole `User-Agent` of every request: the library's, then `AppConfig.userAgent` if given. */
  readonly userAgent: string;
}

const isObserverObject = (v: unknown): boolean => typeof v === 'object' && v !== null && typeof (v as { next?: unknown }).next === 'function';

const relayAddress = obj({ url: { schema: str({ expected: 'a ws:// URL' }), required: true } });

/** An observer (object or function), `true`, or `{ url }`: a plain object is the relay address, its keys checked. */
const inspectSchema: OptionSchema = {
  expected: 'an inspection observer, true, or { url }',
  check: (owner, path, value) => {
    if (value === true || typeof value === 'function' || isObserverObject(value)) return;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return relayAddress.check(owner, path, value);
    throw new TypeError(`${owner}: ${path} must be ${inspectSchema.expected}, got ${describeValue(value)}`);
  },
};

/** A wall-clock function, or a whole {@link Clock}. */
const clockSchema: OptionSchema = {
  expected: 'a function returning milliseconds, or a Clock { now, setTimeout, clearTimeout }',
  check: (owner, path, value) => {
    if (typeof value === 'function' || isClock(value)) return;
    throw new TypeError(`${owner}: ${path} must be ${clockSchema.expected}, got ${describeValue(value)}`);
  },
};

/** The `clock` option as a whole clock: a function keeps Node's timers beside it. */
function resolveClock(clock: AppConfig['clock']): Clock {
  if (clock === undefined) return systemClock;
  if (typeof clock === 'function') return { ...systemClock, now: clock };
  return clock;
}

/** Every option of `new App`, nested ones included: an unknown key or a bad value is refused by name. */
const appSchema = obj({
  baseUrl: { schema: baseUrlSchema, required: true },
  storageDir: { schema: str({ nonEmpty: true, expected: 'a non-empty path' }), required: true },
  reconnect: obj({
    initialDelayMs: timerMs(MIN_RETRY_DELAY_MS),
    maxDelayMs: timerMs(MIN_RETRY_DELAY_MS),
    multiplier: num({ min: 1, max: 1_000 }),
  }),
  keepalive: obj({ pingIntervalMs: timerMs(MIN_KEEPALIVE_MS), pongTimeoutMs: timerMs(MIN_KEEPALIVE_MS) }),
  // A handshake is a round trip or three; below the keepalive's floor every attempt would fail.
  connectTimeoutMs: timerMs(MIN_KEEPALIVE_MS),
  lingerMs: timerMs(0),
  refreshRetryDelayMs: timerMs(MIN_RETRY_DELAY_MS),
  durability: oneOf(['full', 'batched']),
  clock: clockSchema,
  random: func('a function (n) => Uint8Array of n random bytes'),
  inspect: inspectSchema,
  logger: withMethods('a Logger (an object with info and warn methods)', ['info', 'warn']),
  onSyncError: func('a function (session, error) => void'),
  transport: withMethods('a Transport (an object with a connect method)', ['connect']),
  fileSystem: withMethods('a FileSystem (the file port of sync-session/testing)', ['openSync', 'writeSync', 'fsyncSync', 'tryLockFile']),
  authTransport: withMethods('an AuthTransport (an object with a request method)', ['request']),
  userAgent: userAgentSchema,
});

/** Checks an app configuration; bad configuration throws a `TypeError` naming the field. */
export function resolveAppConfig(config: AppConfig): ResolvedAppConfig {
  if (typeof config !== 'object' || config === null) throw new TypeError('App: config must be an object');
  // Every option read once: what is checked is what is used (a getter may change its answer).
  const read = { ...config };
  const given: AppConfig = { ...read, baseUrl: copyBaseUrl(read.baseUrl) };
  validateOptions('App', appSchema, given);
  const logger = given.logger ?? stderrLogger;
  const inspection = resolveInspect(given.inspect, logger);
  return {
    baseUrls: resolveBaseUrls(given.baseUrl),
    storageDir: given.storageDir,
    reconnect: withoutUndefined(given.reconnect ?? {}),
    keepalive: withoutUndefined(given.keepalive ?? {}),
    connectTimeoutMs: given.connectTimeoutMs ?? defaultConnectTimeoutMs,
    lingerMs: given.lingerMs ?? 30_000,
    refreshRetryDelayMs: given.refreshRetryDelayMs ?? 5_000,
    clock: resolveClock(given.clock),
    random: given.random ?? cryptoRandom,
    durability: given.durability ?? 'full',
    ...inspection,
    logger,
    onSyncError: given.onSyncError,
    transport: given.transport,
    fileSystem: given.fileSystem ?? nodeFileSystem,
    authTransport: given.authTransport ?? fetchAuthTransport,
    userAgent: libraryUserAgent(given.userAgent),
  };
}

/** Reads the `inspect` option; a relay address opens the link to it now (it retries on its own). */
function resolveInspect(inspect: AppConfig['inspect'], logger: Logger): Pick<ResolvedAppConfig, 'inspect' | 'stopInspect'> {
  const none = () => undefined;
  if (inspect === undefined) return { inspect: undefined, stopInspect: none };
  if (typeof inspect === 'function') return { inspect, stopInspect: none };
  if (inspect === true || (typeof inspect === 'object' && inspect !== null && 'url' in inspect)) {
    const url = inspect === true ? DEFAULT_INSPECT_URL : inspect.url;
    if (typeof url !== 'string' || !/^wss?:\/\/./.test(url)) throw new TypeError(`App: inspect.url must be a ws:// URL, got ${String(url)}`);
    const relay = createRelayInspector({ url, logger });
    // The inspector converts events on a 0 ms timer; stopping after those lets the last ones out.
    return { inspect: relay.inspect, stopInspect: () => void setTimeout(() => relay.stop(), 0) };
  }
  if (typeof inspect === 'object' && inspect !== null && typeof (inspect as { next?: unknown }).next === 'function') {
    return { inspect: inspect as InspectObserver, stopInspect: none };
  }
  throw new TypeError('App: inspect must be an inspection observer, true, or { url }');
}
