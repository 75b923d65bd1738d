/**
 * The PostgreSQL backend as a server opens it: a connection pool on the database at `url`, the
 * schema brought up to date (`migrate`: nodes starting at once do not race), the partition and
 * auth stores on it, and the change feed that tells this node what the others commit. Any
 * number of server processes may open it at once; that is its point.
 */
import pg from 'pg';
import type { Logger } from '../../../store/logger.js';
import type { StorageChange } from '../change-feed.js';
import type { ServerStorage } from '../server-storage.js';
import { SchemaMismatchError } from './migrations.js';
import { openPostgresAuthStore } from './postgres-auth-store.js';
import { openPostgresChangeFeed } from './postgres-change-feed.js';
import { postgresLoginAttempts } from './postgres-login-attempts.js';
import { openPostgresPartitionStore } from './postgres-partition-store.js';
import { isDatabaseUnreachable } from './unreachable.js';

/** Connections of a node's pool: the appends, folds and state readers of all its sessions share them. */
export const DEFAULT_POOL_SIZE = 10;

/** How long a node waits for a connection (a new one, or one of its pool's) before the work that needs it fails. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * TCP keepalive probes start after this much silence: a database that stops answering without
 * resetting the connection (a black-holed network path) is found in tens of seconds, not the
 * operating system's default two hours.
 */
export const KEEPALIVE_DELAY_MS = 10_000;

/** Options of {@link openPostgresServerStorage}. */
export interface PostgresServerStorageOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`). */
  readonly url: string;
  /** Connections of the node's pool (default {@link DEFAULT_POOL_SIZE}). */
  readonly poolSize?: number;
  readonly historyRetentionMs: number;
  /** Fold a partition once its tail holds more than this many bytes (the store's default otherwise). */
  readonly foldTailBytes?: number;
  readonly now: () => number;
  readonly logger: Logger;
  /** How often the node checks storage for what it did not hear about (see `ChangeFeed`). */
  readonly pollIntervalMs: number;
  /** The feed's fault hook (tests): received changes it returns true for are dropped. */
  readonly dropNotifications?: (change: StorageChange) => boolean;
}

/** `url` without its password, for logs. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres (unreadable URL)';
  }
}

/** Opens the storage on the database at `options.url`; rejects (holding nothing) when the database cannot be reached or its schema is not this code's. */
export async function openPostgresServerStorage(options: PostgresServerStorageOptions): Promise<ServerStorage> {
  const { logger } = options;
  const location = describePostgresUrl(options.url);
  // A connection that cannot be had within 10 s fails its upload (the client sends it again)
  // rather than hold it for as long as the database does not answer (pg waits for ever by default).
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? DEFAULT_POOL_SIZE, application_name: 'sync-session', keepAlive: true, keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An idle connection dying (a database restart) emits this; unheard, it ends the process.
  pool.on('error', (error) => logger.warn('a PostgreSQL connection failed (the pool opens another)', { error: String(error) }));
  try {
    const partitions = await openPostgresPartitionStore(pool, {
      now: options.now,
      historyRetentionMs: options.historyRetentionMs,
      ...(options.foldTailBytes === undefined ? {} : { foldPolicy: { minTailBytes: options.foldTailBytes } }),
      logger,
    });
    const auth = await openPostgresAuthStore(pool);
    const feed = openPostgresChangeFeed({ pool, connectionString: options.url, pollIntervalMs: options.pollIntervalMs, logger, dropReceived: options.dropNotifications });
    let closing: Promise<void> | undefined;
    return {
      partitions,
      auth,
      feed,
      loginAttempts: postgresLoginAttempts(pool, { logger }),
      location,
      openPartitionFiles: () => 0,
      unreachable: isDatabaseUnreachable,
      close: () => {
        closing ??= (async () => {
          try {
            await feed.close();
            await partitions.close();
            await auth.close();
          } finally {
            await pool.end();
          }
        })();
        return closing;
      },
    };
  } catch (error) {
    await pool.end().catch(() => undefined);
    // Said as it is: an operator must know the schema is another version's, not that a connection failed.
    if (error instanceof SchemaMismatchError) throw error;
    throw new Error(`cannot open the PostgreSQL storage at ${location}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
