/**
 * The peers' servers for benchmark 1, each in its own Node process like the project's server:
 * `yws` (y-websocket's reference server, `@y/websocket-server`'s setupWSConnection on a plain
 * `ws` server) or `hocuspocus` (`@hocuspocus/server`). In-memory, no persistence (the project's
 * server writes every changeset to its history, so this flatters the peers). Prints
 * `{ "url": "ws://127.0.0.1:PORT" }` once listening; exits when stdin closes.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { withTimeout } from './harness.js';

export type Peer = 'yws' | 'hocuspocus';

export async function spawnPeerServer(peer: Peer): Promise<{ url: string; close(): Promise<void> }> {
  const here = dirname(fileURLToPath(import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', join(here, 'peer-server-child.ts'), peer], { cwd: join(here, '..'), stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const first = await withTimeout(
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      proc.once('exit', (code) => reject(new Error(`${peer} server exited with ${code}`)));
    }),
    30_000,
    `${peer} server start`,
  );
  const { url } = JSON.parse(first) as { url: string };
  return {
    url,
    close: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.stdin!.end();
      await withTimeout(exited, 10_000, `${peer} server exit`).catch(() => proc.kill('SIGKILL'));
    },
  };
}

async function serve(peer: Peer): Promise<void> {
  let url: string;
  let stop: () => Promise<void>;
  if (peer === 'yws') {
    const { setupWSConnection } = await import('@y/websocket-server/utils');
    const http = createServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    wss.on('connection', (conn, req) => setupWSConnection(conn, req));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
    stop = async () => {
      for (const c of wss.clients) c.terminate();
      http.closeAllConnections();
      http.close();
    };
  } else {
    const { Server } = await import('@hocuspocus/server');
    const server = new Server({ port: 0, address: '127.0.0.1', quiet: true });
    await server.listen();
    url = `ws://127.0.0.1:${server.address.port}`;
    stop = async () => {
      await server.destroy();
    };
  }
  process.stdout.write(`${JSON.stringify({ url })}\n`);
  const end = () => void stop().finally(() => process.exit(0));
  process.stdin.on('end', end);
  process.stdin.on('close', end);
  process.stdin.resume();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  serve(process.argv[2] === 'hocuspocus' ? 'hocuspocus' : 'yws').catch((error: unknown) => {
    process.stderr.write(`peer server: ${String(error)}\n`);
    process.exit(1);
  });
}
