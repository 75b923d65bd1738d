/** One open (or opening) socket, as the runtime sees it. */
export interface TransportSocket {
  send(frame: string): void;
  close(): void;
  /**
   * Whether this socket keeps the process alive (Node's `ref`/`unref`): the runtime says
   * `false` while no session needs the socket (it lingers for reuse only), `true` again when one
   * does. A transport without it holds the process as long as the socket is open.
   */
  holdProcess?(hold: boolean): void;
}

/** What a socket tells the runtime. */
export interface TransportHandlers {
  open(): void;
  frame(text: string): void;
  /** The socket is gone; `reason` for the log. */
  closed(reason: string): void;
}

/** How a socket is to be opened, beyond its URL. */
export interface TransportConnectOptions {
  /**
   * HTTP headers for the opening handshake (the WebSocket upgrade): the `user-agent` and the
   * session's `sync.customHttpHeaders`, lower-case names. Frozen.
   */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The socket port: how the runtime reaches a server. The default is WebSockets
 * (`wsTransport`); a test can put a fault-injecting proxy in front of it, or an embedder bring
 * another transport. The runtime always passes `options`; a transport with no handshake of
 * HTTP headers (the simulated network of `sync-session/testing`) may ignore them, and then no
 * server behind it sees the user agent or the custom headers.
 */
export interface Transport {
  connect(url: string, handlers: TransportHandlers, options?: TransportConnectOptions): TransportSocket;
}
