import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { SUBPROTOCOL } from '../protocol/endpoint.js';
import type { Transport } from './transport.js';

/** WebSockets with the protocol's subprotocol: the default transport. `options.headers` go on the upgrade request. */
export const wsTransport: Transport = {
  connect(url, handlers, options) {
    const socket = new WebSocket(url, SUBPROTOCOL, options === undefined ? {} : { headers: { ...options.headers } });
    let closed = false;
    // The TCP socket, once the upgrade hands it over; until then the socket is connecting,
    // which a session always waits for (the connection chart holds the process then).
    let tcp: Socket | undefined;
    let hold = true;
    socket.on('upgrade', (response) => {
      tcp = response.socket;
      if (!hold) tcp.unref();
    });
    const close = (reason: string) => {
      if (closed) return;
      closed = true;
      handlers.closed(reason);
    };
    socket.on('open', () => handlers.open());
    socket.on('message', (data: Buffer, isBinary) => handlers.frame(isBinary ? data.toString('utf8') : data.toString()));
    socket.on('close', (code, reason) => close(`closed ${code} ${reason.toString()}`));
    socket.on('error', (error) => close(error.message));
    return {
      send: (frame) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(frame);
      },
      holdProcess: (value) => {
        hold = value;
        if (value) tcp?.ref();
        else tcp?.unref();
      },
      close: () => {
        close('closed by the client');
        if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
        else socket.close();
      },
    };
  },
};
