import { changesetBytes } from '../protocol/changeset.codec.js';
import type { Clock } from '../time/clock.js';
import { decodeClientMessage, encodeMessage } from '../protocol/decode.js';
import { errorCodes, type ErrorCode } from '../protocol/error-codes.js';
import { maxChangesetBytesFor } from '../protocol/limits.js';
import { encodeDownloadFrame } from '../protocol/server/download-frame.js';
import type { ClientMessage, ServerMessage } from '../protocol/messages.js';
import type { Bind } from '../protocol/client/bind.codec.js';
import type { ClientIdent } from '../protocol/client/ident.codec.js';
import type { Upload } from '../protocol/client/upload.codec.js';
import type { Logger } from '../store/logger.js';
import type { Permission } from './options.js';
import type { PartitionHub, Subscriber } from './partition-hub.js';
import type { ServerSocket } from './server-socket.js';
import type { PartitionHandle } from './storage/server-storage.js';
import { encodeStateFrame } from '../protocol/server/state-frame.js';
import { planCompensation, type Compensation } from './compensation-plan.js';
import { planUpload } from './upload-plan.js';
import { stampBackoffMs, stampProblem } from './stamp-check.js';
import { TokenBucket } from './token-bucket.js';
import type { TokenIssuer } from './tokens.js';
import type { UserSockets } from './user-sockets.js';

/** What every socket handler shares. */
export interface SyncContext {
  readonly hub: PartitionHub;
  readonly tokens: TokenIssuer;
  readonly permissions: (userId: string, partition: string) => Permission;
  readonly revoked: ReadonlySet<string>;
  readonly maxMessageBytes: number;
  readonly downloadBatchBytes: number;
  /** Tombstones older than this are dropped by the storage; named in every IDENT answer. */
  readonly historyRetentionMs: number;
  /** How far ahead of `now` an uploaded stamp's wall may run (`ServerOptions.maxClockSkewMs`). */
  readonly maxClockSkewMs: number;
  readonly logger: Logger;
  readonly now: () => number;
  /** The timers of connections (the grace of a socket closed for not reading, the drain poll). */
  readonly clock: Clock;
  /** True once the server started closing: no new session is bound. */
  readonly closing: () => boolean;
  /** The socket is gone. */
  readonly disposed: (connection: SyncConnection) => void;
  /** Most bytes waiting to be sent to one socket; over it, the socket is closed (it does not read). */
  readonly maxSocketBufferBytes: number;
  /** Frames one socket may send per second (a burst of one second's worth). */
  readonly maxFramesPerSecond: number;
  /** Sessions bound at once on one socket. */
  readonly maxSessionsPerSocket: number;
  /** The sockets of each user, shared by all connections (`maxSocketsPerUser`). */
  readonly userSockets: UserSockets<SyncConnection>;
  /** Whether a storage error says the storage is out of reach (`ServerStorage.unreachable`). */
  readonly storageUnreachable: (error: unknown) => boolean;
}

/** What one socket costs the server now (`SyncServer.sockets`). */
export interface SocketStats {
  /** Sessions bound on it. */
  readonly sessions: number;
  /** Bytes waiting to be sent to it: buffered by the socket, plus replies queued behind its downloads. */
  readonly unsentBytes: number;
  /** The most `unsentBytes` ever was on this socket. */
  readonly peakUnsentBytes: number;
  /** Bytes of frames received from it and not handled yet (past `maxSocketBufferBytes` it is not read). */
  readonly unhandledBytes: number;
  /** The most `unhandledBytes` ever was on this socket. */
  readonly peakUnhandledBytes: number;
}

/** Socket close codes (RFC 6455). */
const PROTOCOL_ERROR = 1002;
const MESSAGE_TOO_BIG = 1009;
/** Stop queueing DOWNLOADs while this much is unsent, so a bulk download does not fill memory. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** RFC 6455 (IANA registry) "Try Again Later": the close of a socket whose node lost its storage. */
const TRY_AGAIN_LATER = 1013;
/** RFC 6455 policy violation: the close of a socket over one of the server's limits. */
const POLICY_VIOLATION = 1008;
/** RFC 6455 internal error: the close after the history could not be read for a session. */
const INTERNAL_ERROR = 1011;
/** What one queued send step is counted as before its frame exists (the closure and promise it holds). */
const QUEUED_STEP_BYTES = 256;
/** How long a socket closed for not reading gets for the close to go through before it is cut. */
const UNREAD_CLOSE_GRACE_MS = 1_000;

/** One session bound on this socket. */
class BoundSession implements Subscriber {
  fileIdent: string | undefined;
  /**
   * The epoch its IDENT was answered with. The handle's may move on without the hub's word (a
   * node that refreshed for another session's cursors, or found it at an append): a session whose
   * epoch is no longer the handle's is reset before it is sent anything of the new one.
   */
  epoch: string | undefined;
  /** Server version the client has been sent up to. */
  position = 0;
  /**
   * True after the documents of a state read were sent and before a DOWNLOAD carried the
   * state's server version: the client's cursor moves only with a DOWNLOAD (PROTOCOL.md).
   */
  cursorOwed = false;
  /**
   * The client may hold the server's documents even at download cursor 0: its IDENT named an
   * acknowledged upload, or cursors of this epoch (it was answered an IDENT of it before, so it
   * may have merged STATE documents whose closing DOWNLOAD never reached it).
   */
  holdsServerData = false;
  uploadProgress = { clientVersion: 0, serverVersion: 0 };
  /** Sends of this session, in order: DOWNLOADs and MARK answers never overtake each other. */
  outbox: Promise<void> = Promise.resolve();
  ended = false;

  constructor(
    readonly id: number,
    readonly partition: string,
    readonly userId: string,
    readonly permission: Permission,
    readonly tokenExpiresAtMs: number,
    readonly handle: PartitionHandle,
    private readonly connection: SyncConnection,
  ) {}

  historyGrew(): void {
    if (this.fileIdent !== undefined && this.connection.tokenValid(this)) this.connection.pushDownloads(this, false);
  }

  partitionReset(): void {
    this.connection.failSession(this, 'clientReset', `partition ${this.partition} was reset; the local file must be reset too`);
  }
}

/**
 * The sync protocol on one socket ({@link ServerSocket}): many sessions multiplexed by number.
 * Every frame is decoded by its codec first; a frame that cannot be tied to a session closes the
 * socket after an ERROR, an error of one session ends only that session, and nothing is stored
 * before it was checked.
 */
export class SyncConnection {
  private readonly sessions = new Map<number, BoundSession>();
  private closed = false;
  private inbox: Promise<void> = Promise.resolve();
  /** Bytes of the send steps queued in the sessions' outboxes and not run yet. */
  private queuedBytes = 0;
  /** The state reads of this socket's sessions, one after the other (see `sendState`). */
  private stateReads: Promise<void> = Promise.resolve();
  /** Bytes of the frames received and not handled yet. */
  private inboxBytes = 0;
  private peakInboxBytes = 0;
  private peakUnsentBytes = 0;
  /** Sessions of each user bound on this socket: the socket counts for a user while it has one. */
  private readonly sessionsOfUser = new Map<string, number>();
  private readonly frames: TokenBucket;
  /** Downloads wait while more than this is unsent: well under `maxSocketBufferBytes`. */
  private readonly highWater: number;
  /** What waits for the socket to be closed (the cut of a socket that does not read). */
  private readonly onSocketClosed: (() => void)[] = [];

  constructor(
    private readonly socket: ServerSocket,
    private readonly context: SyncContext,
  ) {
    this.frames = new TokenBucket(context.maxFramesPerSecond, context.maxFramesPerSecond, context.now());
    this.highWater = Math.min(HIGH_WATER_BYTES, context.maxSocketBufferBytes / 4);
    socket.listen({
      frame: (frame, isBinary) => this.onFrame(frame, isBinary),
      closed: () => {
        this.dispose();
        for (const then of this.onSocketClosed.splice(0)) then();
      },
      error: (error) => context.logger.warn('socket error', { error: String(error) }),
    });
  }

  /**
   * One frame from the client: counted against the limits, then handled after those before it.
   * Resolves once it is handled (what a simulation waits for; the WebSocket server ignores it).
   */
  private onFrame(frame: Buffer, isBinary: boolean): Promise<void> | undefined {
    const { context, socket } = this;
    if (this.closed) return undefined;
    if (!this.frames.take(context.now())) {
      context.logger.warn('closing a socket over maxFramesPerSecond', { maxFramesPerSecond: context.maxFramesPerSecond });
      this.sendError('tooManyFrames', `more than ${context.maxFramesPerSecond} frames in a second; reconnect later`);
      this.close(POLICY_VIOLATION, 'too many frames');
      return undefined;
    }
    // Frames wait here while one before them awaits (a token check, an fsync): past the buffer
    // limit the socket is not read until they are handled, so TCP holds the client back, not memory.
    this.inboxBytes += frame.length;
    this.peakInboxBytes = Math.max(this.peakInboxBytes, this.inboxBytes);
    if (this.inboxBytes > context.maxSocketBufferBytes && !socket.isPaused) socket.pause();
    // Frames are handled one after the other: a BIND awaiting its token check must not be
    // overtaken by the IDENT behind it.
    this.inbox = this.inbox
      .then(() => this.receive(frame, isBinary))
      .catch((error: unknown) => context.logger.warn('sync message failed', { error: String(error) }))
      .finally(() => {
        this.inboxBytes -= frame.length;
        if (socket.isPaused && this.inboxBytes <= context.maxSocketBufferBytes / 2) socket.resume();
      });
    return this.inbox;
  }

  /**
   * Sends what `session` lacks: the state's documents changed since its position when it is
   * behind the state (a new client: all of them), then the tail, in DOWNLOADs; with `ackOnly` at
   * least one DOWNLOAD, to carry the upload acknowledgement.
   */
  pushDownloads(session: BoundSession, ackOnly: boolean): void {
    this.enqueue(session, async () => {
      const { handle, fileIdent } = session;
      if (fileIdent === undefined) return;
      let sent = false;
      try {
        // Bounded: each pass moves `position` forward (a state read to the state's version, a
        // tail read past at least one changeset), and it cannot pass `handle.latest`.
        while (!session.ended && (session.position < handle.latest || session.cursorOwed || (ackOnly && !sent))) {
          if (this.epochMoved(session)) return;
          if (session.position < handle.stateVersion) {
            // A fold dropped a tombstone this client never got while it was behind.
            if (this.expired(session)) return;
            await this.sendState(session, fileIdent);
            if (this.closed) return;
            continue;
          }
          // One budget per socket: wait before sending, whichever session's turn it is.
          if (this.socket.bufferedAmount > this.highWater) await this.drained();
          if (session.ended || this.closed) return;
          const batch = await handle.readTail(session.position, fileIdent, this.context.downloadBatchBytes);
          if ('folded' in batch) {
            // Folded by another node: this handle's `stateVersion` would send the loop back to
            // the same read for ever. Refreshed, it is at least the fold's (so the state is read).
            if (batch.stateVersion > handle.stateVersion) await this.refreshHandle(session);
            if (batch.stateVersion > handle.stateVersion) throw new Error(`partition ${session.partition}: the state is at ${batch.stateVersion}, its handle at ${handle.stateVersion} after a refresh`);
            continue;
          }
          if (session.ended || this.closed || this.epochMoved(session)) return;
          // Only what is on stable storage is acknowledged (`OriginState.clientVersion`).
          const ack = handle.origin(fileIdent).clientVersion;
          // The changesets' JSON was made once, when they were stored.
          this.sendFrame(
            encodeDownloadFrame(
              {
                session: session.id,
                cursors: { serverVersion: batch.through, clientVersion: ack },
                uploadAck: ack,
                downloadableBytes: handle.tailBytesAfter(batch.through, fileIdent),
              },
              batch.changesetJson,
            ),
          );
          session.position = batch.through;
          session.cursorOwed = false;
          sent = true;
        }
      } catch (error) {
        // A DOWNLOAD that cannot be sent must not be skipped silently: the session ends, so no
        // MARK behind it is answered as if it had gone out.
        this.context.logger.warn('cannot send download', { partition: session.partition, error: String(error) });
        if (this.leaveIfStorageLost(error)) return;
        this.failOnUnreadableHistory(session.id, 'the server could not send this partition\'s history');
      }
    });
  }

  /**
   * Sends the documents of the state changed after the session's position, in STATE frames of
   * at most `downloadBatchBytes`, from one state generation (a fold meanwhile does not move it);
   * the session is then at that generation's version, which the next DOWNLOAD names.
   */
  private sendState(session: BoundSession, fileIdent: string): Promise<void> {
    // One state read at a time per socket: each holds a file descriptor of its state generation
    // for as long as it waits for the socket to drain, and the sessions share that socket's
    // buffer anyway. So a client that binds thousands of sessions and does not read pins one.
    const run = this.stateReads.then(() => this.readStateFor(session, fileIdent));
    this.stateReads = run.catch(() => undefined);
    return run;
  }

  private async readStateFor(session: BoundSession, fileIdent: string): Promise<void> {
    // Before the read opens its file: a socket that does not read holds no descriptor waiting.
    if (this.socket.bufferedAmount > this.highWater) await this.drained();
    if (session.ended || this.closed || session.position >= session.handle.stateVersion) return;
    if (this.expired(session)) return;
    const reader = await session.handle.readState(session.position);
    // The state read may be of an epoch the handle has not seen yet (another node reset the
    // partition): brought in, the hub resets this session, which is sent nothing of it.
    if (session.epoch !== undefined && reader.epoch !== undefined && reader.epoch !== session.epoch) {
      await reader.close();
      await this.refreshHandle(session);
      if (!session.ended && !this.epochMoved(session)) throw new Error(`partition ${session.partition}: a state read of epoch ${reader.epoch}, the handle at ${session.handle.epoch} after a refresh`);
      return;
    }
    try {
      for (;;) {
        if (this.socket.bufferedAmount > this.highWater) await this.drained();
        if (session.ended || this.closed) return;
        const batch = await reader.next(this.context.downloadBatchBytes);
        if (session.ended || this.closed) return;
        if (batch.documentJson.length > 0) {
          const downloadable = batch.remainingBytes + session.handle.tailBytesAfter(reader.stateVersion, fileIdent);
          this.sendFrame(encodeStateFrame(session.id, batch.documentJson, downloadable));
        }
        if (batch.done) break;
      }
      session.position = Math.max(session.position, reader.stateVersion);
      session.cursorOwed = true;
    } finally {
      await reader.close();
    }
  }

  /** Resets `session` when its handle's epoch is no longer the one its IDENT named (see `BoundSession.epoch`). */
  private epochMoved(session: BoundSession): boolean {
    if (session.epoch === undefined || session.epoch === session.handle.epoch) return false;
    session.partitionReset();
    return true;
  }

  /**
   * Ends `session` with `clientFileExpired` when its position is behind a tombstone retention
   * dropped: catching it up from the state would bring that document back to it.
   */
  private expired(session: BoundSession): boolean {
    const { position, handle } = session;
    // A file that holds nothing of the server's (cursor 0, never identified in this epoch) takes
    // the whole state: nothing of it can come back.
    if ((position === 0 && !session.holdsServerData) || position >= handle.expiredThrough) return false;
    this.failSession(
      session,
      'clientFileExpired',
      `the client's download cursor (server version ${position}) is older than a deletion the server forgot (server version ${handle.expiredThrough}, after historyRetentionMs ${this.context.historyRetentionMs} ms); the local file must be reset`,
    );
    return true;
  }

  /** Ends every session of `userId` on this socket: the user was logged out. */
  revoke(userId: string): void {
    for (const session of [...this.sessions.values()]) {
      if (session.userId === userId) this.failSession(session, 'badToken', 'the user was logged out');
    }
  }

  /**
   * Brings `session`'s handle up to what other nodes committed, and then every session of the
   * partition up to the handle (the hub resets those of another epoch, wakes those behind).
   */
  private async refreshHandle(session: BoundSession): Promise<void> {
    await session.handle.refresh();
    this.context.hub.refreshed(session.partition);
  }

  /**
   * Brings the session's handle up to storage before an upload is decided on it; false when the
   * upload is not to go on: the refresh failed (answered `internalError`, or the node left a
   * storage it lost) or the session or socket ended meanwhile.
   */
  private async refreshedForUpload(session: BoundSession): Promise<boolean> {
    try {
      await this.refreshHandle(session);
    } catch (error) {
      this.context.logger.warn('cannot refresh partition', { partition: session.partition, error: String(error) });
      if (this.leaveIfStorageLost(error)) return false;
      this.sendError('internalError', 'the server could not read this partition\'s history; send the upload again later', session.id);
      return false;
    }
    return !session.ended && !this.closed;
  }

  /**
   * After storage refused an upload of `session`: refreshed, is the session of another epoch
   * now (reset) or its file another user's (`permissionDenied`)? True when it was ended so.
   */
  private async refusedAfterRefresh(session: BoundSession): Promise<boolean> {
    try {
      await this.refreshHandle(session);
    } catch {
      return false;
    }
    if (session.ended || this.epochMoved(session)) return true;
    const owner = session.handle.origin(session.fileIdent!).owner;
    if (owner === undefined || owner === session.userId) return false;
    this.failSession(session, 'permissionDenied', `file ${session.fileIdent!} belongs to another user`);
    return true;
  }

  /**
   * When `error` says the storage is out of reach, tells the client so and closes the socket:
   * this node can serve none of its sessions, and a client given several nodes moves to the
   * next (docs/SEMANTICS.md §11.6). True when it did.
   */
  private leaveIfStorageLost(error: unknown): boolean {
    if (!this.context.storageUnreachable(error)) return false;
    this.sendError('storageUnavailable', 'this server node cannot reach its storage; reconnect, to another node if there is one');
    this.close(TRY_AGAIN_LATER, 'storage unavailable');
    return true;
  }

  /** Tells the client the server is going away, and closes the socket. */
  shutdown(): void {
    this.sendError('serverShuttingDown', 'the server is shutting down; reconnect later');
    this.close(1001, 'server shutting down');
  }

  /**
   * Whether `session` may still be served (at each of its messages and before each push of the
   * partition's news); ends it with the fitting auth error when not: logged out, token expired,
   * or no longer allowed to read the partition (`permissions` is asked again each time).
   */
  tokenValid(session: BoundSession): boolean {
    if (this.context.revoked.has(session.userId)) {
      this.failSession(session, 'badToken', 'the user was logged out');
      return false;
    }
    if (this.context.now() >= session.tokenExpiresAtMs) {
      this.failSession(session, 'tokenExpired', 'the access token expired during the session; refresh it and bind again');
      return false;
    }
    const permission = this.context.permissions(session.userId, session.partition);
    if (permission === 'read' || permission === 'readWrite') return true;
    this.failSession(session, 'permissionDenied', `user ${session.userId} may no longer read partition ${session.partition}`);
    return false;
  }

  /**
   * Ends session `id` (bound, or being bound) when its history could not be opened or read (a
   * BIND, an IDENT or a DOWNLOAD the storage failed), and closes the socket. `internalError` is
   * not fatal: its client keeps the session and sends again, which a session the server ended
   * (or never bound) would answer with a fatal `unknownSession`. The close makes the client
   * reconnect and bind again from its cursors, so nothing behind the failed read (a MARK) is
   * answered as if it had gone out, and the session resumes once the storage is back.
   */
  private failOnUnreadableHistory(id: number, message: string): void {
    const session = this.sessions.get(id);
    if (session === undefined) this.sendError('internalError', message, id);
    else this.failSession(session, 'internalError', message);
    this.close(INTERNAL_ERROR, 'history unreadable');
  }

  /** Ends `session` with an error of code `code` (fatal, or one its client binds again after). */
  failSession(session: BoundSession, code: ErrorCode, message: string): void {
    this.sendError(code, message, session.id);
    this.endSession(session);
  }

  private async receive(frame: Buffer, isBinary: boolean): Promise<void> {
    if (this.closed) return;
    if (frame.length > this.context.maxMessageBytes) {
      // Too big to decode, but its opening usually names the session: that session ends, so a
      // client does not reconnect and send the same frame again forever.
      const named = /^\s*\{\s*"type"\s*:\s*"[a-z]+"\s*,\s*"session"\s*:\s*(\d{1,9})/.exec(frame.subarray(0, 200).toString('latin1'));
      const session = named === null ? undefined : this.sessions.get(Number(named[1]));
      const message = `a frame of ${frame.length} bytes is over the limit of ${this.context.maxMessageBytes}`;
      if (session !== undefined) this.failSession(session, 'messageTooBig', message);
      else this.sendError('messageTooBig', message);
      this.close(MESSAGE_TOO_BIG, 'message too big');
      return;
    }
    const decoded = decodeClientMessage(isBinary ? new Uint8Array(frame) : frame.toString('utf8'));
    if (decoded._tag === 'Left') {
      const { code, message, session } = decoded.left;
      const known = session === undefined ? undefined : this.sessions.get(session);
      if (code === 'badMessage' && known !== undefined) this.failSession(known, code, message);
      else if (code === 'badMessage' && session !== undefined) this.sendError(code, message, session);
      else {
        this.sendError(code, message);
        this.close(PROTOCOL_ERROR, code);
      }
      return;
    }
    await this.handle(decoded.right);
  }

  private async handle(message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'ping':
        return this.send({ type: 'pong', timestamp: message.timestamp });
      case 'bind':
        return this.bind(message);
      default: {
        const session = this.sessions.get(message.session);
        if (session === undefined) {
          this.sendError('unknownSession', `session ${message.session} is not bound on this socket`, message.session);
          return;
        }
        if (message.type === 'unbind') {
          this.endSession(session);
          this.enqueue(session, async () => this.send({ type: 'unbound', session: session.id }), QUEUED_STEP_BYTES);
          return;
        }
        if (!this.tokenValid(session)) return;
        if (message.type === 'ident') return this.ident(session, message);
        if (session.fileIdent === undefined) {
          this.failSession(session, 'notIdentified', `${message.type} before IDENT`);
          return;
        }
        if (message.type === 'upload') return this.upload(session, message);
        const requestId = message.requestId;
        // The answer covers every change that existed when it is sent (docs/SEMANTICS.md §4.2), also those
        // another node committed and this one has not heard of yet: brought in, and pushed
        // ahead of it, first.
        try {
          const { latest, epoch } = session.handle;
          await this.refreshHandle(session);
          if (session.ended || this.closed) return;
          if (session.handle.epoch !== epoch) return void this.epochMoved(session);
          if (session.handle.latest > latest) this.pushDownloads(session, false);
        } catch (error) {
          this.context.logger.warn('cannot refresh partition', { partition: session.partition, error: String(error) });
          if (this.leaveIfStorageLost(error)) return;
          this.failOnUnreadableHistory(session.id, 'the server could not read this partition\'s history; try again later');
          return;
        }
        this.enqueue(
          session,
          async () => {
            if (!session.ended) this.send({ type: 'mark', session: session.id, requestId });
          },
          // The answer echoes the id: a client that does not read must not park them unbounded.
          QUEUED_STEP_BYTES + requestId.length,
        );
      }
    }
  }

  private async bind(message: Bind): Promise<void> {
    if (this.sessions.has(message.session)) {
      this.sendError('sessionInUse', `session ${message.session} is already bound on this socket`, message.session);
      return;
    }
    const check = await this.context.tokens.check(message.token, 'access');
    if (!check.ok || this.context.revoked.has(check.userId)) {
      const expired = check.ok ? false : check.reason === 'expired';
      this.sendError(expired ? 'tokenExpired' : 'badToken', expired ? 'the access token expired' : 'the access token is missing, malformed or forged', message.session);
      return;
    }
    const permission = this.context.permissions(check.userId, message.partition);
    if (permission !== 'read' && permission !== 'readWrite') {
      this.sendError('permissionDenied', `user ${check.userId} may not read partition ${message.partition}`, message.session);
      return;
    }
    const early = this.bindRefusal(message.session, check.userId);
    if (early !== undefined) {
      if (early !== 'gone') this.sendError(early.code, early.message, message.session);
      return;
    }
    let handle: PartitionHandle;
    try {
      handle = await this.context.hub.acquire(message.partition);
    } catch (error) {
      this.context.logger.warn('cannot open partition', { partition: message.partition, error: String(error) });
      if (this.leaveIfStorageLost(error)) return;
      this.failOnUnreadableHistory(message.session, 'the server cannot open this partition\'s history');
      return;
    }
    // The acquire awaited: what was checked before it is checked again, so no two BINDs both
    // take the last place, and a socket closed meanwhile holds nothing.
    const refusal = this.bindRefusal(message.session, check.userId);
    if (refusal !== undefined) {
      this.context.hub.release(message.partition);
      if (refusal !== 'gone') this.sendError(refusal.code, refusal.message, message.session);
      return;
    }
    const session = new BoundSession(message.session, message.partition, check.userId, permission, check.expiresAtMs, handle, this);
    this.sessions.set(session.id, session);
    this.sessionsOfUser.set(check.userId, (this.sessionsOfUser.get(check.userId) ?? 0) + 1);
    this.context.userSockets.add(check.userId, this);
  }

  /** Why a BIND of `id` by `userId` cannot be bound now (`gone`: the socket closed or the number was taken meanwhile). */
  private bindRefusal(id: number, userId: string): 'gone' | { readonly code: ErrorCode; readonly message: string } | undefined {
    if (this.closed || this.sessions.has(id)) return 'gone';
    if (this.context.closing()) return { code: 'serverShuttingDown', message: 'the server is shutting down; reconnect later' };
    if (this.sessions.size >= this.context.maxSessionsPerSocket) {
      return { code: 'tooManySessions', message: `this socket already has ${this.sessions.size} sessions, the server's maxSessionsPerSocket` };
    }
    if (!this.context.userSockets.admits(userId, this)) {
      return { code: 'tooManySockets', message: `user ${userId} already has sessions on ${this.context.userSockets.maxPerUser} sockets, the server's maxSocketsPerUser` };
    }
    return undefined;
  }

  private async ident(session: BoundSession, message: ClientIdent): Promise<void> {
    if (session.fileIdent !== undefined) {
      this.failSession(session, 'badMessage', 'IDENT sent twice for one session');
      return;
    }
    const { handle } = session;
    // The handle may not have seen yet what another node committed: the client's cursors, from
    // that node, would look past this one's history or of another epoch. Refreshed before any refusal.
    if (identLooksAhead(handle, message)) {
      try {
        await this.refreshHandle(session);
      } catch (error) {
        this.context.logger.warn('cannot refresh partition', { partition: session.partition, error: String(error) });
        if (this.leaveIfStorageLost(error)) return;
        this.failOnUnreadableHistory(session.id, 'the server could not read this partition\'s history; try again later');
        return;
      }
      if (session.ended || this.closed) return;
    }
    let cursors = message.cursors;
    if (cursors !== undefined && cursors.epoch !== handle.epoch) {
      // A client with nothing of the old history (nothing downloaded, nothing acknowledged: only
      // its own commits) has nothing a reset would replace: it takes the new epoch, as a new
      // client with offline commits would. This is how a partition whose epoch was never durable
      // (bound, never written, then released or the server stopped or crashed) costs nothing.
      // STATE documents of the old epoch it staged (a bootstrap cut before its DOWNLOAD) it
      // discards itself on taking the new epoch (`RealmState.staged`).
      const holdsNothing = cursors.download.serverVersion === 0 && cursors.upload.clientVersion === 0 && cursors.upload.serverVersion === 0;
      if (!holdsNothing) {
        this.failSession(session, 'clientReset', `the client's history (epoch ${cursors.epoch}) was replaced (epoch ${handle.epoch})`);
        return;
      }
      cursors = undefined;
    }
    const { owner, clientVersion: stored } = handle.origin(message.fileIdent);
    if (owner !== undefined && owner !== session.userId) {
      this.failSession(session, 'permissionDenied', `file ${message.fileIdent} belongs to another user`);
      return;
    }
    const position = cursors?.download.serverVersion ?? 0;
    const uploaded = cursors?.upload.clientVersion ?? 0;
    if (position > handle.latest || uploaded > stored || (cursors?.upload.serverVersion ?? 0) > handle.latest) {
      this.failSession(session, 'badCursor', `cursors past the server's history (server version ${position} of ${handle.latest}, client version ${uploaded} of ${stored})`);
      return;
    }
    session.position = position;
    session.holdsServerData = uploaded > 0 || cursors !== undefined;
    if (this.expired(session)) return;
    session.fileIdent = message.fileIdent;
    session.epoch = handle.epoch;
    // The epoch it is told is the one it is held to (`epochMoved`), whenever the answer goes out.
    const told = session.epoch;
    session.uploadProgress = cursors?.upload ?? { clientVersion: 0, serverVersion: 0 };
    this.context.hub.subscribe(session.partition, session);
    const limits = {
      maxMessageBytes: this.context.maxMessageBytes,
      maxChangesetBytes: maxChangesetBytesFor(this.context.maxMessageBytes),
      maxClockSkewMs: this.context.maxClockSkewMs,
      historyRetentionMs: this.context.historyRetentionMs,
    };
    this.enqueue(session, async () => this.send({ type: 'ident', session: session.id, fileIdent: message.fileIdent, epoch: told, ...limits }), QUEUED_STEP_BYTES);
    this.pushDownloads(session, true);
  }

  private async upload(session: BoundSession, message: Upload): Promise<void> {
    // Decided again for every upload, not once at BIND: a user lowered to read-only must not
    // write on for as long as the session stays bound. One who may only read gets its writes
    // refused and the session goes on (a compensating write, below); one lowered to nothing is done.
    const permission = this.context.permissions(session.userId, session.partition);
    if (permission === 'none' && message.changesets.length > 0) {
      this.failSession(session, 'permissionDenied', `user ${session.userId} may no longer read partition ${session.partition}`);
      return;
    }
    const { handle } = session;
    const previous = session.uploadProgress;
    if (message.progress.clientVersion < previous.clientVersion || message.progress.serverVersion < previous.serverVersion) {
      this.failSession(
        session,
        'badCursor',
        `upload cursor moved back from (${previous.clientVersion}, ${previous.serverVersion}) to (${message.progress.clientVersion}, ${message.progress.serverVersion})`,
      );
      return;
    }
    const fileIdent = session.fileIdent!;
    // As at IDENT: the handle may be behind another node (this file's earlier uploads went there).
    if (message.progress.serverVersion > handle.latest || (message.changesets[0]?.clientVersion ?? 0) > handle.origin(fileIdent).clientVersion + 1) {
      if (!(await this.refreshedForUpload(session))) return;
    }
    if (message.progress.serverVersion > handle.latest) {
      this.failSession(session, 'badCursor', `upload cursor names server version ${message.progress.serverVersion} of ${handle.latest}`);
      return;
    }
    // Checked at IDENT too, but on what this node had seen then: another node may have stored the
    // file's first upload, by its owner, since (a forged file ident would write in its history).
    const owner = handle.origin(fileIdent).owner;
    if (owner !== undefined && owner !== session.userId) {
      this.failSession(session, 'permissionDenied', `file ${fileIdent} belongs to another user`);
      return;
    }
    const now = this.context.now();
    const reason = `user ${session.userId} may only read partition ${session.partition}`;
    let compensation = permission === 'readWrite' ? undefined : planCompensation(message.changesets, handle.origin(fileIdent).clientVersion, reason);
    if (compensation !== undefined) {
      // Refused against what this node last saw of the file: another node may have stored those
      // versions (their acknowledgement lost), and a client told to revert what storage holds
      // would never hear of it again. A refusal is rare; a refresh settles it.
      if (!(await this.refreshedForUpload(session)) || this.epochMoved(session)) return;
      compensation = planCompensation(message.changesets, handle.origin(fileIdent).clientVersion, reason);
    }
    const stored = handle.origin(fileIdent).clientVersion;
    const uploaded = compensation === undefined ? message.changesets : compensation.kept;
    const plan = planUpload(fileIdent, stored, uploaded, (hlc) => stampProblem(hlc, now, this.context.maxClockSkewMs));
    let added = 0;
    let bytes = 0;
    try {
      // Acknowledged only once on stable storage: `append` resolves then.
      if (plan.accepted.length > 0) {
        // Whole ms, as storage keeps it: a clock that reads fractions (performance.now-based) still stores.
        const appended = await handle.append(fileIdent, session.userId, plan.accepted, Math.max(0, Math.floor(now)));
        added = appended.added.length;
        for (const changeset of appended.added) bytes += changesetBytes(changeset);
      }
    } catch (error) {
      this.context.logger.warn('cannot store upload', { partition: session.partition, error: String(error) });
      if (this.leaveIfStorageLost(error)) return;
      // Refused against storage (a gap, another owner): the handle may be behind another node's
      // reset or first upload of the file, which a refresh shows (and resets or refuses for).
      if (error instanceof RangeError && (await this.refusedAfterRefresh(session))) return;
      this.sendError('internalError', 'the server could not store the upload; send it again later', session.id);
      return;
    }
    // Stored in the partition's epoch, which another node's reset may have made a new one since
    // this session's IDENT: it is not acknowledged to the session in the old one, but reset.
    if (this.epochMoved(session)) {
      if (added > 0) this.context.hub.announce(session.partition, session);
      return;
    }
    // Only once stored: an upload the client sends again after a failed store must not find its
    // cursor already moved past it. Nor past refused changesets, which the client sends again
    // emptied from its last acknowledgement, in batches that may end below this upload's end.
    session.uploadProgress = compensation === undefined ? message.progress : previous;
    if (compensation !== undefined) this.sendCompensation(session, compensation);
    if (plan.refused !== undefined) {
      const { code, clientVersion, reason } = plan.refused;
      // A wall too far ahead is taken once the server's clock catches up: say when, so the
      // client sends it again then (a counter beyond the bound is never taken: no backoff).
      const refusedStamp = code === 'clockSkew' ? message.changesets.find((c) => c.clientVersion === clientVersion)?.hlc : undefined;
      const backoffMs = refusedStamp === undefined ? undefined : stampBackoffMs(refusedStamp, now, this.context.maxClockSkewMs);
      this.sendError(code, `changeset ${clientVersion} refused: ${reason}`, session.id, backoffMs);
    }
    this.context.logger.info('integrated', { partition: session.partition, changesets: added, bytes });
    this.pushDownloads(session, true);
    if (added > 0) this.context.hub.announce(session.partition, session);
  }

  private endSession(session: BoundSession): void {
    if (session.ended) return;
    session.ended = true;
    this.sessions.delete(session.id);
    this.context.hub.unsubscribe(session.partition, session);
    this.context.hub.release(session.partition);
    const left = (this.sessionsOfUser.get(session.userId) ?? 1) - 1;
    if (left > 0) this.sessionsOfUser.set(session.userId, left);
    else {
      this.sessionsOfUser.delete(session.userId);
      this.context.userSockets.remove(session.userId, this);
    }
  }

  /**
   * Queues a send step behind the session's others; `bytes` is what it holds until it runs
   * (downloads count as one step: they wait for the socket to drain before they make frames).
   */
  private enqueue(session: BoundSession, step: () => Promise<void>, bytes = QUEUED_STEP_BYTES): void {
    this.queuedBytes += bytes;
    this.checkUnsent();
    session.outbox = session.outbox
      .then(() => {
        this.queuedBytes -= bytes;
        return step();
      })
      .catch((error: unknown) => {
        this.context.logger.warn('sending failed', { session: session.id, error: String(error) });
      });
  }

  /** What this socket costs now (see `SocketStats`). */
  stats(): SocketStats {
    return {
      sessions: this.sessions.size,
      unsentBytes: this.unsentBytes(),
      peakUnsentBytes: this.peakUnsentBytes,
      unhandledBytes: this.inboxBytes,
      peakUnhandledBytes: this.peakInboxBytes,
    };
  }

  private unsentBytes(): number {
    return this.socket.bufferedAmount + this.queuedBytes;
  }

  /**
   * Closes a socket over `maxSocketBufferBytes`: its client does not read, and every answer to
   * what it sends would stay in the server's memory. Nothing more is queued for it after this.
   */
  private checkUnsent(): void {
    const unsent = this.unsentBytes();
    if (unsent > this.peakUnsentBytes) this.peakUnsentBytes = unsent;
    if (this.closed || unsent <= this.context.maxSocketBufferBytes) return;
    this.context.logger.warn('closing a socket that does not read: its send buffer is over maxSocketBufferBytes', {
      unsentBytes: unsent,
      maxSocketBufferBytes: this.context.maxSocketBufferBytes,
      sessions: this.sessions.size,
    });
    this.close(POLICY_VIOLATION, 'send buffer over limit');
    // The close frame waits behind what the client does not read; the buffer is let go anyway.
    const { clock } = this.context;
    const cut = clock.setTimeout(() => this.socket.terminate(), UNREAD_CLOSE_GRACE_MS);
    clock.hold?.(cut, false);
    this.onSocketClosed.push(() => clock.clearTimeout(cut));
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.closed || this.socket.bufferedAmount <= this.highWater / 2) resolve();
        else this.context.clock.setTimeout(check, 5);
      };
      check();
    });
  }

  /**
   * The answer to refused writes: which client versions, and which documents they wrote. No
   * wait (`backoffMs` 0): the client sends the versions again, emptied, once its file reverted.
   */
  private sendCompensation(session: BoundSession, compensation: Compensation): void {
    const { from, through, writes, omittedWrites } = compensation;
    const info = errorCodes.compensatingWrite;
    // A few in the text (keys may be long); every listed one is in `writes`.
    const listed = writes.slice(0, 3).map((w) => `${w.type} ${w.id}`).join(', ') + (writes.length > 3 ? ', …' : '');
    this.send({
      type: 'error',
      code: 'compensatingWrite',
      category: info.category,
      isFatal: info.isFatal,
      tryAgain: info.tryAgain,
      message: `user ${session.userId} may only read partition ${session.partition}: changesets ${from} through ${through} refused, writing ${listed}${omittedWrites > 0 ? ` and ${omittedWrites} more documents` : ''}`,
      session: session.id,
      backoffMs: 0,
      compensatingWrite: { from, through, writes, omittedWrites },
    });
  }

  private sendError(code: ErrorCode, message: string, session?: number, backoffMs?: number): void {
    const info = errorCodes[code];
    this.send({
      type: 'error',
      code,
      category: info.category,
      isFatal: info.isFatal,
      message,
      tryAgain: info.tryAgain,
      ...(session === undefined ? {} : { session }),
      ...(backoffMs === undefined ? {} : { backoffMs }),
    });
  }

  private send(message: ServerMessage): void {
    this.sendFrame(encodeMessage(message, 'server'));
  }

  private sendFrame(frame: string): void {
    if (this.closed || !this.socket.isOpen) return;
    this.socket.send(frame);
    this.checkUnsent();
  }

  private close(code: number, reason: string): void {
    this.dispose();
    this.socket.close(code, reason);
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const session of [...this.sessions.values()]) this.endSession(session);
    this.context.disposed(this);
  }
}

/**
 * Whether `message`'s cursors name more than `handle` has seen: another epoch, a download or
 * upload cursor past its `latest`, or an upload past what it knows of the file. Each is refused
 * (or, for an epoch, reset) only after the handle was brought up to date.
 */
function identLooksAhead(handle: PartitionHandle, message: ClientIdent): boolean {
  const cursors = message.cursors;
  if (cursors === undefined) return false;
  return (
    cursors.epoch !== handle.epoch ||
    cursors.download.serverVersion > handle.latest ||
    cursors.upload.serverVersion > handle.latest ||
    cursors.upload.clientVersion > handle.origin(message.fileIdent).clientVersion
  );
}
