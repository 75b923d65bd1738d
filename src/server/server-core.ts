/**
 * The reference server without its network: storage, auth and the sync protocol, as functions
 * and sockets handed in. `startServer` puts an HTTP server and a WebSocket server in front of it;
 * `sync-session/testing` puts a simulated network. Nothing here opens a port or starts a timer.
 */
import { keyProblem } from '../protocol/keys.js';
import { silentLogger, type Logger } from '../store/logger.js';
import type { AuthAnswer } from '../transport/auth-transport.js';
import { answerAuth, type AuthHttpRequest } from './auth-routes.js';
import { checkedPermissions } from './checked-permissions.js';
import { LoginLimiter } from './login-limiter.js';
import { checkServerOptions, resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { PartitionHub } from './partition-hub.js';
import type { ServerSocket, ServerSocketHandlers } from './server-socket.js';
import { RevocationList } from './revocations.js';
import { openFileServerStorage } from './storage/file/file-server-storage.js';
import { openPostgresServerStorage } from './storage/postgres/postgres-server-storage.js';
import type { FoldReport, ServerStorage } from './storage/server-storage.js';
import { SyncConnection, type SocketStats } from './sync-connection.js';
import { loadSecret, TokenIssuer } from './tokens.js';
import { UserSockets } from './user-sockets.js';
import { UserDirectory } from './users.js';

/** The server's logic with its storage open, waiting for sockets and auth requests. */
export interface ServerCore {
  /** Where the histories are (the data directory, or the database), for the log. */
  readonly storageLocation: string;
  /**
   * Starts hearing the storage's change feed (other nodes' commits and logouts). Called once the
   * server can be reached, as a change heard before has no session to wake; a second call does
   * nothing. Until it is called, this node does not hear the others.
   */
  start(): void;
  /**
   * Takes a client's sync socket (after the upgrade, its subprotocol checked) and speaks the
   * protocol on it. Once `close` was called the socket is closed at once (code 1001).
   */
  accept(socket: ServerSocket): void;
  /**
   * Answers one HTTP request: the auth routes (`POST /auth/login`, `POST /auth/refresh`), 404
   * for any other path. A body over 16 KiB is refused (413) whoever read it. Never rejects.
   */
  answerAuth(request: AuthHttpRequest): Promise<AuthAnswer>;
  /** As `SyncServer.resetPartition`. */
  resetPartition(partition: string): Promise<string>;
  /** As `SyncServer.deletePartition`: **destructive**. */
  deletePartition(partition: string): Promise<string>;
  /** As `SyncServer.compactPartition`. */
  compactPartition(partition: string): Promise<FoldReport>;
  /** As `SyncServer.revokeUser`. */
  revokeUser(userId: string): Promise<void>;
  /** What each open sync socket costs now (as `SyncServer.sockets`). */
  sockets(): readonly SocketStats[];
  /** How many histories hold their file open now (0 on PostgreSQL). */
  openHistoryFiles(): number;
  /**
   * Tells every socket the server is going away (ERROR `serverShuttingDown`, close 1001), runs
   * `settle` (the network's time for those closes to go through; none by default), cuts the
   * sockets still not closed, and closes the histories and the storage. Idempotent: later calls
   * share the first one's promise (and its `settle`).
   */
  close(settle?: () => Promise<void>): Promise<void>;
}

/**
 * `run` for an operator's call on `partition`, or a rejected `TypeError` when it is no partition
 * a client could bind (PROTOCOL.md, "Limits › Keys"): no such partition exists, and a backend
 * would fail on it less clearly.
 */
function checkedPartition<T>(call: string, partition: unknown, run: () => Promise<T>): Promise<T> {
  const problem = keyProblem('partition', partition);
  return problem === undefined ? run() : Promise.reject(new TypeError(`${call}: ${problem}`));
}

/**
 * Opens the server's storage and builds its logic, with no network: sockets come through
 * `accept` and auth requests through `answerAuth`. `startServer` is this behind HTTP and
 * WebSockets. Bad configuration throws a `TypeError` naming the field before anything is
 * opened; `dataDir` is locked as by `startServer` (`FileLockedError`) until `close()`.
 * Call `start()` once the core can be reached.
 */
export async function startServerCore(options: ServerOptions, observe?: StorageObserver): Promise<ServerCore> {
  // Before any field is read: `startServer()` crashed reading `logger` of undefined.
  checkServerOptions(options);
  const logger: Logger = options.logger ?? silentLogger;
  return openServerCore(resolveServerOptions(options, logger), logger, observe);
}

/**
 * @internal What the simulation puts between the server logic and its storage to watch it (each
 * append's result, for "integrated exactly once"): the opened storage in, the one used out.
 */
export type StorageObserver = (storage: ServerStorage) => ServerStorage;

/** @internal {@link startServerCore} on options already checked (`startServer` reads them too). */
export async function openServerCore(config: ResolvedServerOptions, logger: Logger, observe?: StorageObserver): Promise<ServerCore> {
  const opened = await openStorage(config, logger);
  const storage = observe === undefined ? opened : observe(opened);
  try {
    return await coreOn(storage, config, logger);
  } catch (error) {
    // A start that fails holds nothing of the storage (files, lock, connections).
    await storage.close().catch((closeError: unknown) => logger.warn('could not close the storage of a failed start', { error: String(closeError) }));
    throw error;
  }
}

/** The storage `config` names, opened. */
function openStorage(config: ResolvedServerOptions, logger: Logger): Promise<ServerStorage> {
  const { storage } = config;
  if (storage.kind === 'postgres') {
    return openPostgresServerStorage({
      url: storage.url,
      poolSize: storage.poolSize,
      historyRetentionMs: config.historyRetentionMs,
      foldTailBytes: config.foldTailBytes,
      now: config.now,
      logger,
      pollIntervalMs: storage.pollIntervalMs,
      dropNotifications: storage.dropNotifications,
    });
  }
  return openFileServerStorage({
    dataDir: storage.dataDir,
    durability: config.durability,
    maxOpenHistories: config.maxOpenHistories,
    historyRetentionMs: config.historyRetentionMs,
    foldTailBytes: config.foldTailBytes,
    now: config.now,
    random: config.random,
    fileSystem: storage.fileSystem,
    logger,
  });
}

/**
 * `socket`, telling `gone` when it closes: the core knows which sockets it still has to cut at
 * `close`, while the connection keeps the one listener a socket takes.
 */
function tracked(socket: ServerSocket, gone: () => void): ServerSocket {
  return {
    listen: (handlers: ServerSocketHandlers) =>
      socket.listen({
        ...handlers,
        closed: () => {
          gone();
          handlers.closed();
        },
      }),
    send: (frame) => socket.send(frame),
    close: (code, reason) => socket.close(code, reason),
    terminate: () => socket.terminate(),
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    get isOpen() {
      return socket.isOpen;
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    get isPaused() {
      return socket.isPaused;
    },
    get remoteAddress() {
      return socket.remoteAddress;
    },
  };
}

/** {@link openServerCore} once its storage is open; `close()` closes the storage too. */
async function coreOn(storage: ServerStorage, config: ResolvedServerOptions, logger: Logger): Promise<ServerCore> {
  const { auth, partitions } = storage;
  const tokens = new TokenIssuer(await loadSecret(auth, config.secret), config.accessTokenTtlMs, config.refreshTokenTtlMs, config.now);
  const users = await UserDirectory.open(auth, config.users, config.passwordHashing);
  const revocations = await RevocationList.open(auth);
  const revoked = revocations.users;
  const limiter = new LoginLimiter(config.loginAttempts, config.now, storage.loginAttempts);
  const hub = new PartitionHub(partitions, logger, storage.feed);
  const connections = new Set<SyncConnection>();
  /** Sockets accepted and not closed yet: a connection disposed of may still be closing its socket. */
  const openSockets = new Set<ServerSocket>();
  let closingStarted = false;
  const context = {
    closing: () => closingStarted,
    disposed: (connection: SyncConnection) => connections.delete(connection),
    hub,
    tokens,
    permissions: checkedPermissions(config.permissions, logger),
    revoked,
    maxMessageBytes: config.maxMessageBytes,
    downloadBatchBytes: config.downloadBatchBytes,
    historyRetentionMs: config.historyRetentionMs,
    maxClockSkewMs: config.maxClockSkewMs,
    logger,
    now: config.now,
    clock: config.clock,
    maxSocketBufferBytes: config.maxSocketBufferBytes,
    maxFramesPerSecond: config.maxFramesPerSecond,
    maxSessionsPerSocket: config.maxSessionsPerSocket,
    userSockets: new UserSockets<SyncConnection>(config.maxSocketsPerUser),
    storageUnreachable: (error: unknown) => storage.unreachable(error),
  };
  const routes = { users, tokens, revoked, limiter, logger };

  let started = false;
  let closing: Promise<void> | undefined;
  return {
    storageLocation: storage.location,
    start: () => {
      if (started) return;
      started = true;
      storage.feed.start({
        changed: (change) => {
          if (change.kind === 'partition') void hub.changed(change.partition);
          else if (revocations.learn(change.userId)) for (const connection of connections) connection.revoke(change.userId);
        },
        resync: () => {
          void hub.resync();
          revocations
            .reload()
            .then((added) => {
              for (const userId of added) for (const connection of connections) connection.revoke(userId);
            })
            .catch((error: unknown) => logger.warn('could not read the revoked users', { error: String(error) }));
        },
      });
    },
    accept: (socket) => {
      if (closingStarted) {
        socket.close(1001, 'server shutting down');
        return;
      }
      openSockets.add(socket);
      connections.add(new SyncConnection(tracked(socket, () => openSockets.delete(socket)), context));
    },
    answerAuth: (request) => answerAuth(request, routes),
    resetPartition: (partition) => checkedPartition('resetPartition', partition, () => hub.reset(partition, 'keepDocuments')),
    deletePartition: (partition) => checkedPartition('deletePartition', partition, () => hub.reset(partition, 'wipe')),
    compactPartition: (partition) => checkedPartition('compactPartition', partition, () => hub.compact(partition, { now: config.now(), retentionMs: config.historyRetentionMs })),
    sockets: () => [...connections].map((connection) => connection.stats()),
    openHistoryFiles: () => storage.openPartitionFiles(),
    revokeUser: (userId) => {
      if (typeof userId !== 'string' || userId === '') return Promise.reject(new TypeError('revokeUser: userId must be a non-empty string'));
      const written = revocations.add(userId);
      for (const connection of connections) connection.revoke(userId);
      // Told to the other nodes once stored: what they read then has it.
      return written.then(() => storage.feed.publish({ kind: 'revoked', userId }));
    },
    close: (settle) => {
      closing ??= (async () => {
        closingStarted = true;
        for (const connection of [...connections]) connection.shutdown();
        if (settle !== undefined) await settle();
        for (const socket of [...openSockets]) socket.terminate();
        hub.close();
        await storage.close();
      })();
      return closing;
    },
  };
}
