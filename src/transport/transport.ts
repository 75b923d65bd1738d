/** One open (or opening) socket, as the runtime sees it. */
export interface TransportSocket {
  send(frame: string): void;
  close(): void;
}

/** What a socket tells the runtime. */
export interface TransportHandlers {
  open(): void;
  frame(text: string): void;
  /** The socket is gone; `reason` for the log. */
  closed(reason: string): void;
}

/**
 * The socket port: how the runtime reaches a server. The default is WebSockets
 * (`wsTransport`); a test can put a fault-injecting proxy in front of it, or an embedder bring
 * another transport.
 */
export interface Transport {
  connect(url: string, handlers: TransportHandlers): TransportSocket;
}
