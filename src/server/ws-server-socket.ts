import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import type { ServerSocket } from './server-socket.js';

/** A frame as `ws` hands it over (a Buffer, fragments, or an ArrayBuffer), as one Buffer. */
function frameBytes(data: RawData): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
}

/**
 * `ws`'s server-side socket as a {@link ServerSocket}; `request` is the upgrade request, whose
 * TCP peer is the socket's remote address.
 */
export function wsServerSocket(ws: WebSocket, request: IncomingMessage): ServerSocket {
  const remoteAddress = request.socket.remoteAddress ?? 'unknown';
  return {
    listen(handlers) {
      ws.on('message', (data, isBinary) => handlers.frame(frameBytes(data), isBinary));
      ws.on('close', () => handlers.closed());
      ws.on('error', (error) => handlers.error(error));
    },
    send: (frame) => {
      if (ws.readyState === ws.OPEN) ws.send(frame);
    },
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get isOpen() {
      return ws.readyState === ws.OPEN;
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    get isPaused() {
      return ws.isPaused;
    },
    remoteAddress,
  };
}
