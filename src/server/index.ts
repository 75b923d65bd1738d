/** The reference sync server: `startServer` and its options. */
export { startServer, SUBPROTOCOL, SYNC_PATH, type FoldReport, type SocketStats, type SyncServer } from './start-server.js';
export type { EmailPasswordUser, Permission, ServerOptions } from './options.js';
/** `startServer` rejects with it when another server (in any process) has `dataDir` open. */
export { FileLockedError } from '../store/store-errors.js';
export type { LoginAttemptLimits } from './login-limiter.js';
export type { StorageChange } from './storage/change-feed.js';
/** `startServer({ postgres })` rejects with it when the database's schema is not this code's (newer, or diverged). */
export { SchemaMismatchError } from './storage/postgres/migrations.js';
