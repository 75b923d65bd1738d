import type { InspectionEvent, Observer } from 'xstate';
import type { KeepaliveOptions } from '../../machines/connection.machine.js';
import type { ReconnectOptions } from '../../machines/backoff.js';
import type { Logger } from '../store/logger.js';
import { stderrLogger } from '../store/logger.js';
import type { Transport } from '../transport/transport.js';
import { createRelayInspector, DEFAULT_INSPECT_URL } from '../inspect/relay-inspector.js';

/** An XState inspection observer, as `createActor(…, { inspect })` takes it. */
export type InspectObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** Options of `new App(...)`. */
export interface AppConfig {
  /** The server's base URL, as `startServer` returns it: `http://host:port`. */
  readonly baseUrl: string;
  /** Where local realm files go when `Realm.open` is given no path. */
  readonly storageDir: string;
  readonly reconnect?: Partial<ReconnectOptions>;
  readonly keepalive?: Partial<KeepaliveOptions>;
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
  /** The wall clock that decides whether an access token has expired (`Date.now`); tests move it. */
  readonly clock?: () => number;
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
  /** The socket implementation; WebSockets by default. */
  readonly transport?: Transport;
}

/** `AppConfig` checked, with defaults. */
export interface ResolvedAppConfig {
  readonly baseUrl: string;
  readonly storageDir: string;
  readonly reconnect: Partial<ReconnectOptions>;
  readonly keepalive: Partial<KeepaliveOptions>;
  readonly lingerMs: number;
  readonly refreshRetryDelayMs: number;
  readonly clock: () => number;
  readonly durability: 'full' | 'batched';
  /** Where inspection events go, if anywhere (a relay's observer when `inspect` named a relay). */
  readonly inspect: InspectObserver | undefined;
  /** Closes the relay link that `inspect: true | { url }` opened; called by `app.close()`. */
  readonly stopInspect: () => void;
  readonly logger: Logger;
  readonly transport: Transport | undefined;
}

const nonNegative = (field: string, value: unknown): void => {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
    throw new TypeError(`App: ${field} must be a non-negative number, got ${String(value)}`);
  }
};

/** Checks an app configuration; bad configuration throws a `TypeError` naming the field. */
export function resolveAppConfig(config: AppConfig): ResolvedAppConfig {
  if (typeof config !== 'object' || config === null) throw new TypeError('App: config must be an object');
  let url: URL;
  try {
    url = new URL(config.baseUrl);
  } catch {
    throw new TypeError(`App: baseUrl must be an http(s) URL, got ${String(config.baseUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`App: baseUrl must be an http(s) URL, got ${config.baseUrl}`);
  if (typeof config.storageDir !== 'string' || config.storageDir === '') throw new TypeError('App: storageDir must be a non-empty path');
  nonNegative('reconnect.initialDelayMs', config.reconnect?.initialDelayMs);
  nonNegative('reconnect.maxDelayMs', config.reconnect?.maxDelayMs);
  if (config.reconnect?.multiplier !== undefined && !(config.reconnect.multiplier >= 1)) {
    throw new TypeError(`App: reconnect.multiplier must be at least 1, got ${config.reconnect.multiplier}`);
  }
  nonNegative('keepalive.pingIntervalMs', config.keepalive?.pingIntervalMs);
  nonNegative('keepalive.pongTimeoutMs', config.keepalive?.pongTimeoutMs);
  nonNegative('lingerMs', config.lingerMs);
  nonNegative('refreshRetryDelayMs', config.refreshRetryDelayMs);
  if (config.durability !== undefined && config.durability !== 'full' && config.durability !== 'batched') {
    throw new TypeError(`App: durability must be 'full' or 'batched', got ${String(config.durability)}`);
  }
  if (config.clock !== undefined && typeof config.clock !== 'function') throw new TypeError('App: clock must be a function returning milliseconds');
  const logger = config.logger ?? stderrLogger;
  const inspection = resolveInspect(config.inspect, logger);
  return {
    baseUrl: url.origin,
    storageDir: config.storageDir,
    reconnect: config.reconnect ?? {},
    keepalive: config.keepalive ?? {},
    lingerMs: config.lingerMs ?? 30_000,
    refreshRetryDelayMs: config.refreshRetryDelayMs ?? 5_000,
    clock: config.clock ?? Date.now,
    durability: config.durability ?? 'full',
    ...inspection,
    logger,
    transport: config.transport,
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
