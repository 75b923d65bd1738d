/** The reference sync server: `startServer` and its options. */
export { startServer, SUBPROTOCOL, SYNC_PATH, type SocketStats, type SyncServer } from './start-server.js';
export type { EmailPasswordUser, Permission, ServerOptions } from './options.js';
