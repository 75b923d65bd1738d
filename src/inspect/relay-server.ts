import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../store/logger.js';
import { silentLogger } from '../store/logger.js';
import { MAX_FRAME_BYTES } from './inspection-frame.js';
import { RelayHub, type RelayHubLimits, type RelayRole } from './relay-hub.js';
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

/** Frames above MAX_FRAME_BYTES are dropped as malformed; far above, ws closes the socket (1009). */
const MAX_PAYLOAD_BYTES = 4 * MAX_FRAME_BYTES;

/**
 * `sync-session inspect`: a local HTTP server with the viewer page, and a WebSocket relay on
 * the same port where apps (`App({ inspect: true })`) send inspection frames and every viewer —
 * our page, or the Stately inspector — receives them. Browsers may connect only from the
 * relay's own pages: any web page could otherwise read the sessions, or forge some.
 */
export async function startInspectorRelay(options: InspectorRelayOptions = {}): Promise<InspectorRelay> {
  const logger = options.logger ?? silentLogger;
  const assets = loadViewerAssets();
  const hub = new RelayHub(options.limits);
  const host = options.host ?? '127.0.0.1';
  const http = createServer((request, response) => serveAsset(assets, request, response));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES });
  const viewers = new Set<WebSocket>();
  const sockets = new Set<WebSocket>();

  // Listen first: a taken port is an ordinary rejection, before any socket exists.
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? DEFAULT_INSPECT_PORT, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const ownOrigins = new Set([`http://${authority}`, `http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://[::1]:${port}`]);

  http.on('upgrade', (request: IncomingMessage, socket, head) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !ownOrigins.has(origin)) {
      logger.warn('inspector relay refused a WebSocket from a foreign page', { origin });
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    const role: RelayRole = roleOf(request.url) ?? 'viewer';
    wss.handleUpgrade(request, socket, head, (client) => accept(client, role));
  });

  function accept(socket: WebSocket, role: RelayRole): void {
    const { tag, replay } = hub.join(role);
    sockets.add(socket);
    if (role === 'viewer') viewers.add(socket);
    for (const frame of replay) socket.send(frame);
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const text = isBinary || byteLength(data) > MAX_FRAME_BYTES ? undefined : data.toString();
      try {
        const verdict = hub.receive(tag, text);
        if ('forward' in verdict) broadcast(socket, verdict.forward);
      } catch (error) {
        // decodeFrame bounds what reaches here; still, no frame may take the relay down.
        logger.warn('inspector relay could not pass a frame on', { error: String(error) });
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      viewers.delete(socket);
      for (const frame of hub.leave(tag)) broadcast(socket, frame);
    });
  }

  function broadcast(from: WebSocket, frame: string): void {
    for (const viewer of viewers) {
      if (viewer === from || viewer.readyState !== viewer.OPEN) continue;
      if (viewer.bufferedAmount > MAX_BUFFERED_BYTES) {
        logger.warn('inspector viewer fell behind; dropping it (it reconnects)', {});
        viewer.terminate();
        continue;
      }
      viewer.send(frame);
    }
  }

  return {
    url: `http://${authority}/`,
    wsUrl: `ws://${authority}`,
    port,
    malformed: () => hub.malformed,
    close: async () => {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

const byteLength = (data: RawData): number => (Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength);

/** `?role=source` from a WebSocket request path; anything unreadable says nothing. */
function roleOf(url: string | undefined): RelayRole | undefined {
  try {
    return new URL(url ?? '/', 'http://relay').searchParams.get('role') === 'source' ? 'source' : undefined;
  } catch {
    return undefined;
  }
}

function serveAsset(assets: Map<string, Asset>, request: IncomingMessage, response: ServerResponse): void {
  let path: string;
  try {
    path = new URL(request.url ?? '/', 'http://relay').pathname;
  } catch {
    response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('bad request\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const asset = assets.get(path);
  if (asset === undefined) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  response.writeHead(200, { 'content-type': asset.contentType, 'cache-control': 'no-store', 'content-security-policy': asset.policy });
  response.end(request.method === 'HEAD' ? undefined : asset.body);
}
