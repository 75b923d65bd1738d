import type { InspectionEvent, Observer } from 'xstate';
import type { KeepaliveOptions } from '../../machines/connection.machine.js';
import type { ReconnectOptions } from '../../machines/backoff.js';
import type { Logger } from '../store/logger.js';
import { silentLogger } from '../store/logger.js';
import type { Transport } from '../transport/transport.js';

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
  /** How long a shared socket stays open after its last session leaves. Default 30 s. */
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
  /** Receives the inspection events of every session and connection actor. */
  readonly inspect?: InspectObserver;
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
  readonly inspect: AppConfig['inspect'];
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
  return {
    baseUrl: url.origin,
    storageDir: config.storageDir,
    reconnect: config.reconnect ?? {},
    keepalive: config.keepalive ?? {},
    lingerMs: config.lingerMs ?? 30_000,
    refreshRetryDelayMs: config.refreshRetryDelayMs ?? 5_000,
    clock: config.clock ?? Date.now,
    durability: config.durability ?? 'full',
    inspect: config.inspect,
    logger: config.logger ?? silentLogger,
    transport: config.transport,
  };
}
