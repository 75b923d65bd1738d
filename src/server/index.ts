/** The reference sync server: `startServer` and its options. */
export { startServer, SUBPROTOCOL, SYNC_PATH, type FoldReport, type SocketStats, type SyncServer } from './start-server.js';
/**
 * The server with no network: its storage, auth and sync protocol, sockets handed in through
 * `accept` and auth requests answered by `answerAuth`; what `startServer` puts HTTP and
 * WebSockets in front of (a simulated network can stand there instead).
 */
export { startServerCore, type ServerCore } from './server-core.js';
/** One auth request as `ServerCore.answerAuth` takes it (method, target, headers, body, peer address). */
export type { AuthHttpRequest } from './auth-routes.js';
/** An answer of `ServerCore.answerAuth`: status, headers and the whole body. */
export type { AuthAnswer } from '../transport/auth-transport.js';
/** One client's sync socket as `ServerCore.accept` takes it, and what it tells the server. */
export type { ServerSocket, ServerSocketHandlers } from './server-socket.js';
export type { EmailPasswordUser, Permission, ServerOptions } from './options.js';
/** `startServer` rejects with it when another server (in any process) has `dataDir` open. */
export { FileLockedError } from '../store/store-errors.js';
export type { LoginAttemptLimits } from './login-limiter.js';
export type { StorageChange } from './storage/change-feed.js';
/** `startServer({ postgres })` rejects with it when the database's schema is not this code's (newer, or diverged). */
export { SchemaMismatchError } from './storage/postgres/migrations.js';
