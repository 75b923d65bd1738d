/**
 * The server's socket port: one client's sync socket after the upgrade, as the protocol logic
 * (`SyncConnection`) sees it. The WebSocket server wraps each `ws` socket in it
 * (`ws-server-socket.ts`); `sync-session/testing` brings sockets of its simulated network.
 */

/** What a socket tells the protocol logic; set once, by {@link ServerSocket.listen}. */
export interface ServerSocketHandlers {
  /**
   * One whole frame from the client. May return a promise of its handling (its replies sent or
   * queued): a simulation waits for it before it moves on, so a frame the server's crypto is
   * still checking is not overtaken by the next timer.
   */
  frame(data: Buffer, isBinary: boolean): void | Promise<void>;
  /** The socket is closed (either side, or cut); called once. */
  closed(): void;
  /** A socket-level error, for the log; `closed` follows. */
  error(error: Error): void;
}

/** One open sync socket. */
export interface ServerSocket {
  listen(handlers: ServerSocketHandlers): void;
  /** Queues a frame; ignored once the socket is not open. */
  send(frame: string): void;
  /** Starts a closing handshake with a WebSocket close code and reason. */
  close(code: number, reason: string): void;
  /** Cuts the socket at once (a peer that does not read). */
  terminate(): void;
  /** Bytes queued to the peer and not yet sent. */
  readonly bufferedAmount: number;
  /** Whether frames can still be sent. */
  readonly isOpen: boolean;
  /** Stops reading frames (TCP then holds the peer back) until {@link resume}. */
  pause(): void;
  resume(): void;
  readonly isPaused: boolean;
  /** The peer's address, for the log and the login limits. */
  readonly remoteAddress: string;
}
