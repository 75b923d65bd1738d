/**
 * The server side of the benchmarks that cross processes: the project's real sync server
 * (`startServer`, temp dataDir, durability from the environment) and, beside it, a raw `ws`
 * server used as the baseline — one that acks each request (`{"id"}` → `{"ack": id}`) and one
 * that streams a given number of bytes in given frame sizes. Prints one JSON line
 * `{ url, rawUrl }` on stdout when listening; exits when stdin closes (the parent went away),
 * so no server outlives its benchmark. Everything listens on 127.0.0.1 only.
 *
 * Run by `spawnServer()` from bench code; not a benchmark itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { startServer } from '../src/server/index.js';
import { withTimeout } from './harness.js';

export interface ServerChild {
  readonly url: string;
  readonly rawUrl: string;
  readonly process: ChildProcess;
  close(): Promise<void>;
}

let spawned = 0;

/** Starts server-child.ts in its own Node process (profiled too under BENCH_CPU_PROF=1). */
export async function spawnServer(options: { durability?: 'full' | 'batched' } = {}): Promise<ServerChild> {
  const here = dirname(fileURLToPath(import.meta.url));
  const args = ['--import', 'tsx'];
  if (process.env.BENCH_CPU_PROF === '1') {
    // The server's share of the time, beside the benchmark process's own profile (run.ts).
    // Node's default file names (pid, thread, sequence): tsx's loader thread writes a profile of
    // its own, which one fixed name would let overwrite the server's.
    const dir = join(here, 'profiles', `server-${process.pid}-${++spawned}`);
    mkdirSync(dir, { recursive: true });
    args.push('--cpu-prof', '--cpu-prof-dir', dir);
  }
  args.push(join(here, 'server-child.ts'));
  const proc = spawn(process.execPath, args, {
    cwd: join(here, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_SERVER_DURABILITY: options.durability ?? 'full' },
  });
  const lines = createInterface({ input: proc.stdout! });
  const first = await withTimeout(
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      proc.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
    }),
    30_000,
    'server child start',
  );
  const { url, rawUrl } = JSON.parse(first) as { url: string; rawUrl: string };
  return {
    url,
    rawUrl,
    process: proc,
    close: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.stdin!.end();
      await withTimeout(exited, 10_000, 'server child exit').catch(() => proc.kill('SIGKILL'));
    },
  };
}

async function serve(): Promise<void> {
  const durability = process.env.BENCH_SERVER_DURABILITY === 'batched' ? 'batched' : 'full';
  const dataDir = mkdtempSync(join(tmpdir(), 'sync-bench-server-'));
  const server = await startServer({ dataDir, port: 0, durability, maxMessageBytes: 64 * 1024 * 1024 });

  // Raw baseline: request/ack and bulk streaming over plain ws, same host, same process.
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as { id?: number; stream?: { bytes: number; frame: number } };
      if (msg.stream !== undefined) {
        // Bulk: send `bytes` in frames of `frame` bytes, then a JSON end marker.
        const frame = Buffer.alloc(msg.stream.frame, 0x61);
        let left = msg.stream.bytes;
        const pump = (): void => {
          while (left > 0) {
            const n = Math.min(left, frame.length);
            left -= n;
            ws.send(n === frame.length ? frame : frame.subarray(0, n));
            if (ws.bufferedAmount > 8 * 1024 * 1024) {
              setImmediate(pump);
              return;
            }
          }
          ws.send('{"end":true}');
        };
        pump();
        return;
      }
      ws.send(JSON.stringify({ ack: msg.id }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const rawUrl = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  process.stdout.write(`${JSON.stringify({ url: server.url, rawUrl })}\n`);

  const stop = async (): Promise<void> => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    http.closeAllConnections();
    http.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.stdin.resume();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  serve().catch((error: unknown) => {
    process.stderr.write(`server child: ${String(error)}\n`);
    process.exit(1);
  });
}
