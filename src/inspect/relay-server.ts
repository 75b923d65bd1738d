import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../store/logger.js';
import { silentLogger } from '../store/logger.js';
import { MAX_FRAME_BYTES } from './inspection-frame.js';
import { RelayHub, type RelayHubLimits } from './relay-hub.js';
import { DEFAULT_INSPECT_PORT } from './relay-inspector.js';
import { loadViewerAssets, type Asset } from './viewer-assets.js';

/** Options of `startInspectorRelay`. */
export interface InspectorRelayOptions {
  /** 9777 by default; 0 picks a free port. */
  readonly port?: number;
  /** 127.0.0.1 by default: the relay shows session contents, so it is not for the network. */
  readonly host?: string;
  readonly logger?: Logger;
  readonly limits?: RelayHubLimits;
}

/** A running relay: its page at `url`, its WebSocket at `wsUrl`. */
export interface InspectorRelay {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  /** Frames dropped as malformed so far. */
  readonly malformed: () => number;
  close(): Promise<void>;
}

/** A viewer that falls this far behind is dropped; it reconnects and is replayed the present. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * `sync-session inspect`: a local HTTP server with the viewer page, and a WebSocket relay on
 * the same port where apps (`App({ inspect: true })`) send inspection frames and every other
 * client — our viewer, or the Stately inspector — receives them.
 */
export async function startInspectorRelay(options: InspectorRelayOptions = {}): Promise<InspectorRelay> {
  const logger = options.logger ?? silentLogger;
  const assets = loadViewerAssets();
  const hub = new RelayHub(options.limits);
  const http = createServer((request, response) => serveAsset(assets, request, response));
  // Frames above MAX_FRAME_BYTES are dropped as malformed; far above, ws closes the socket.
  const wss = new WebSocketServer({ server: http, maxPayload: 4 * MAX_FRAME_BYTES });
  const clients = new Map<WebSocket, string>();

  wss.on('connection', (socket) => {
    const { tag, replay } = hub.join();
    clients.set(socket, tag);
    for (const frame of replay) socket.send(frame);
    socket.on('message', (data, isBinary) => {
      const verdict = hub.receive(tag, isBinary ? undefined : data.toString());
      if ('dropped' in verdict) return;
      broadcast(socket, verdict.forward);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clients.delete(socket);
      for (const frame of hub.leave(tag)) broadcast(socket, frame);
    });
  });

  function broadcast(from: WebSocket, frame: string): void {
    for (const client of clients.keys()) {
      if (client === from || client.readyState !== client.OPEN) continue;
      if (client.bufferedAmount > MAX_BUFFERED_BYTES) {
        logger.warn('inspector viewer fell behind; dropping it (it reconnects)', {});
        client.terminate();
        continue;
      }
      client.send(frame);
    }
  }

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? DEFAULT_INSPECT_PORT, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: `http://${authority}/`,
    wsUrl: `ws://${authority}`,
    port,
    malformed: () => hub.malformed,
    close: async () => {
      for (const client of clients.keys()) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function serveAsset(assets: Map<string, Asset>, request: IncomingMessage, response: ServerResponse): void {
  const path = new URL(request.url ?? '/', 'http://relay').pathname;
  const asset = assets.get(path);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (asset === undefined) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  response.writeHead(200, {
    'content-type': asset.contentType,
    'cache-control': 'no-store',
    'content-security-policy': asset.policy,
  });
  response.end(request.method === 'HEAD' ? undefined : asset.body);
}
