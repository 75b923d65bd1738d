import { DEFAULT_MAX_MESSAGE_BYTES } from '../protocol/limits.js';
import type { Logger } from '../store/logger.js';

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
  /** Where histories and the token secret live. Required. */
  readonly dataDir: string;
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
  /** Most bytes of changesets in one DOWNLOAD. Default 1 MiB. */
  readonly downloadBatchBytes?: number;
  /**
   * How far (ms) an uploaded changeset's HLC wall may run ahead of the server's clock; one
   * further ahead is refused with `clockSkew`. Default 10 minutes.
   */
  readonly maxClockSkewMs?: number;
  /** `full` (default): every integrated upload is fsynced before it is acknowledged. */
  readonly durability?: 'full' | 'batched';
  readonly logger?: Logger;
}

/** `ServerOptions` with every default filled in. */
export interface ResolvedServerOptions extends Required<Omit<ServerOptions, 'secret' | 'logger'>> {
  readonly secret: string | undefined;
  readonly logger: Logger;
}

/**
 * A value every IDENT names, which the client's codec takes only as a safe integer: anything
 * else would make every session fail at its IDENT (`badServerMessage`), so the server refuses
 * to start with it instead.
 */
const positiveWhole = (name: string, value: unknown, fallback: number): number => {
  const checked = positive(name, value, fallback);
  if (!Number.isSafeInteger(checked)) throw new TypeError(`startServer: ${name} must be a whole number of at most 2^53 − 1 (every IDENT names it), got ${String(value)}`);
  return checked;
};

const positive = (name: string, value: unknown, fallback: number): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`startServer: ${name} must be a positive number, got ${String(value)}`);
  }
  return value;
};

/** Checks every option and fills in defaults; bad configuration throws a `TypeError` naming the field. */
export function resolveServerOptions(options: ServerOptions, logger: Logger): ResolvedServerOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('startServer: options must be an object');
  if (typeof options.dataDir !== 'string' || options.dataDir === '') {
    throw new TypeError('startServer: dataDir must be a non-empty path');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new TypeError(`startServer: port must be 0..65535, got ${String(port)}`);
  const users = options.users ?? [];
  if (!Array.isArray(users) || users.some((u) => typeof u?.email !== 'string' || u.email === '' || typeof u.password !== 'string')) {
    throw new TypeError('startServer: users must be a list of { email, password } with non-empty emails');
  }
  if (options.permissions !== undefined && typeof options.permissions !== 'function') {
    throw new TypeError('startServer: permissions must be a function (userId, partition) => permission');
  }
  if (options.durability !== undefined && options.durability !== 'full' && options.durability !== 'batched') {
    throw new TypeError(`startServer: durability must be 'full' or 'batched', got ${String(options.durability)}`);
  }
  if (options.secret !== undefined && (typeof options.secret !== 'string' || options.secret.length < 16)) {
    throw new TypeError('startServer: secret must be a string of at least 16 characters');
  }
  return {
    host: options.host ?? '127.0.0.1',
    port,
    dataDir: options.dataDir,
    users,
    permissions: options.permissions ?? (() => 'readWrite'),
    accessTokenTtlMs: positive('accessTokenTtlMs', options.accessTokenTtlMs, 30 * 60_000),
    refreshTokenTtlMs: positive('refreshTokenTtlMs', options.refreshTokenTtlMs, 30 * 24 * 3_600_000),
    maxMessageBytes: positiveWhole('maxMessageBytes', options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES),
    downloadBatchBytes: positive('downloadBatchBytes', options.downloadBatchBytes, 1024 * 1024),
    maxClockSkewMs: positiveWhole('maxClockSkewMs', options.maxClockSkewMs, 10 * 60_000),
    durability: options.durability ?? 'full',
    secret: options.secret,
    logger,
  };
}
