import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { silentLogger, type Logger } from '../store/logger.js';
import { SUBPROTOCOL, SYNC_PATH } from '../protocol/endpoint.js';
import { httpAuthListener } from './http-auth.js';
import { checkServerOptions, resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { openServerCore, type ServerCore } from './server-core.js';
import type { FoldReport } from './storage/server-storage.js';
import type { SocketStats } from './sync-connection.js';
import { wsServerSocket } from './ws-server-socket.js';

export { SUBPROTOCOL, SYNC_PATH };

/** A running reference sync server. */
export interface SyncServer {
  /** Base URL for `App({ baseUrl })`: `http://host:port`; the sync socket is at `ws://host:port/sync`. */
  readonly url: string;
  readonly port: number;
  /**
   * Starts a new history epoch of `partition` that begins with the partition's documents as of
   * now (every field and tombstone with its original stamp), so nothing acknowledged is lost:
   * its clients get a `clientReset` error and download the documents again. Durable, and
   * atomic across a crash (the old epoch or the whole new one), when it resolves, to the epoch.
   */
  resetPartition(partition: string): Promise<string>;
  /**
   * **Destructive**: starts a new, empty history epoch of `partition`, so the server forgets
   * every document of it; its clients get a `clientReset` error, and a client reset empties
   * their files (changes they had not uploaded are kept or dropped per their reset mode).
   * Resolves to the epoch.
   */
  deletePartition(partition: string): Promise<string>;
  /**
   * Folds the changesets `partition` received since its last fold into its state now, dropping
   * tombstones older than `historyRetentionMs` (the server also does this on its own, in the
   * background, as the tail grows). Durable and atomic across a crash when it resolves.
   */
  compactPartition(partition: string): Promise<FoldReport>;
  /**
   * Logs `userId` out: login and refresh refused, bound sessions and new binds get `badToken`,
   * all at once (before it returns). Kept in the storage (durable before it resolves), so a
   * restart does not undo it, and in force on the other nodes of a database once they hear of it
   * (at once, or at their next poll); when that write fails it rejects, the logout still in
   * force here, and calling again retries it.
   */
  revokeUser(userId: string): Promise<void>;
  /** What each open sync socket costs now: sessions and bytes waiting to be sent (to watch the limits work). */
  sockets(): readonly SocketStats[];
  /** How many histories hold their file open now (at most `maxOpenHistories`; 0 on PostgreSQL). */
  openHistoryFiles(): number;
  /** Closes every socket (code 1001), stops listening and closes the histories. */
  close(): Promise<void>;
}

export type { SocketStats, FoldReport };

function refuseUpgrade(socket: Duplex, status: string, reason: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(reason)}\r\nconnection: close\r\n\r\n${reason}`);
}

/**
 * Starts the reference sync server: auth over HTTP and the sync protocol over a WebSocket, on
 * one port, with each partition's history in `dataDir` or in the database of `postgres`. Bad
 * configuration throws a `TypeError` naming the field before anything is opened. `dataDir` has
 * one server at a time: another server (in any process) holding it makes this one reject with
 * `FileLockedError` before it reads anything there; the lock is held until `close()` and dies
 * with the process. A database has any number of servers (nodes) at once.
 */
export async function startServer(options: ServerOptions): Promise<SyncServer> {
  // Before any field is read: `startServer()` crashed reading `logger` of undefined.
  checkServerOptions(options);
  const logger: Logger = options.logger ?? silentLogger;
  const config = resolveServerOptions(options, logger);
  const core = await openServerCore(config, logger);
  try {
    return await serveOn(core, config, logger);
  } catch (error) {
    // A start that fails holds nothing of the storage (files, lock, connections).
    await core.close().catch((closeError: unknown) => logger.warn('could not close the storage of a failed start', { error: String(closeError) }));
    throw error;
  }
}

/** {@link startServer} once its core is built: the HTTP and WebSocket servers in front of it. */
async function serveOn(core: ServerCore, config: ResolvedServerOptions, logger: Logger): Promise<SyncServer> {
  let closingStarted = false;
  const httpOptions = {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    // Both timeouts are enforced by a sweep at this interval (node's default, 30 s, would let a
    // slow client keep its connection for up to 30 s past them).
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, config.headersTimeoutMs / 4)),
  };
  const http: Server = createServer(httpOptions, httpAuthListener((request) => core.answerAuth(request), logger));
  // ws refuses frames past maxPayload by closing with 1009 before we see them; allow some room
  // above the limit so a slightly-too-big message gets the protocol's own ERROR first.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxMessageBytes + 64 * 1024,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that resets mid-handshake, or sends a path no URL parser takes, must not take
    // the server down with it.
    socket.on('error', () => socket.destroy());
    try {
      if (closingStarted) return refuseUpgrade(socket, '503 Service Unavailable', 'the server is shutting down');
      let path: string;
      try {
        path = new URL(req.url ?? '/', 'http://localhost').pathname;
      } catch {
        return refuseUpgrade(socket, '400 Bad Request', 'unreadable path');
      }
      if (path !== SYNC_PATH) return refuseUpgrade(socket, '404 Not Found', `no WebSocket endpoint at ${path}`);
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!offered.includes(SUBPROTOCOL)) return refuseUpgrade(socket, '400 Bad Request', `subprotocol ${SUBPROTOCOL} required`);
      wss.handleUpgrade(req, socket, head, (ws) => core.accept(wsServerSocket(ws, req)));
    } catch (error) {
      logger.warn('upgrade failed', { error: String(error) });
      socket.destroy();
    }
  });

  // Sync sockets count too: after the upgrade they are still this server's connections.
  http.maxConnections = config.maxConnections;
  http.on('drop', (data?: { remoteAddress?: string }) => logger.warn('connection dropped: maxConnections reached', { maxConnections: config.maxConnections, remoteAddress: data?.remoteAddress }));

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  // Only now: a change heard before the server listens has no session to wake.
  core.start();
  logger.info('sync server listening', { url: `ws://${host}:${port}${SYNC_PATH}`, storage: core.storageLocation });

  /** Between the sockets told to close and the storage closed: clients get a moment, then the network goes. */
  const settle = async () => {
    // Give clients a moment to close; then cut whatever is left.
    const deadline = Date.now() + 1_000;
    while ([...wss.clients].some((c) => c.readyState !== c.CLOSED) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const client of wss.clients) client.terminate();
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return {
    url: `http://${host}:${port}`,
    port,
    resetPartition: (partition) => core.resetPartition(partition),
    deletePartition: (partition) => core.deletePartition(partition),
    compactPartition: (partition) => core.compactPartition(partition),
    sockets: () => core.sockets(),
    openHistoryFiles: () => core.openHistoryFiles(),
    revokeUser: (userId) => core.revokeUser(userId),
    close: () => {
      closingStarted = true;
      return core.close(settle);
    },
  };
}
