/**
 * The server side of the benchmarks that cross processes: the project's real sync server
 * (`startServer`, temp dataDir, durability from the environment; or a node on a PostgreSQL
 * database, `SpawnOptions.postgres`, any number of them on one database) and, beside it, a raw `ws`
 * server used as the baseline — one that acks each request (`{"id"}` → `{"ack": id}`) and one
 * that streams a given number of bytes in given frame sizes. Prints one JSON line
 * `{ url, rawUrl, dataDir, ignored }` on stdout when listening; exits when stdin closes (the
 * parent went away), so no server outlives its benchmark. Everything listens on 127.0.0.1 only.
 *
 * Extra `startServer` options (`serverOptions`) are gated one by one with the server's own
 * option check: a benchmark can name an option a later server adds (`historyRetentionMs`) and
 * run against today's server without it; the refused ones come back in `ignored`, with why.
 * The line `memory` on stdin answers one JSON line of `process.memoryUsage()` after two full
 * garbage collections (the child runs with `--expose-gc`), so heap figures are live bytes only.
 * The line `peaks` answers the highest `process.memoryUsage()` figures (no GC: what was held,
 * garbage included) sampled every 20 ms since the previous `peaks` line, and starts sampling anew:
 * what an RSS peak was made of. The line `compact <partition>` folds that partition's tail into
 * its state now (`SyncServer.compactPartition`) and answers its report. The line `cpu` answers
 * `process.cpuUsage()` of the child (µs of user and system time since it started): the
 * server's CPU over a stretch is the difference of two answers.
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
import { checkServerOptions } from '../src/server/options.js';
import { withTimeout } from './harness.js';

/** A value an extra server option can take across the process boundary (JSON). */
export type ServerOptionValue = string | number | boolean;

/** What `spawnServer` starts the child with. */
export interface SpawnOptions {
  readonly durability?: 'full' | 'batched';
  /**
   * The server's data directory; the parent owns it (it is kept when the child exits), so a
   * benchmark can measure it, or start a second server on it. A temporary one, removed with the
   * child, when absent.
   */
  readonly dataDir?: string;
  /**
   * A `postgres://` URL: the child is a node on that database instead of a server on files
   * (no dataDir; `durability` does not apply, every upload is one committed transaction). The
   * parent owns the database.
   */
  readonly postgres?: string;
  /** Further `startServer` options, each passed only if the server's option check accepts it. */
  readonly serverOptions?: Readonly<Record<string, ServerOptionValue>>;
}

/** `process.memoryUsage()` of the child after a full GC, bytes. */
export interface ChildMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** `process.cpuUsage()` of the child, µs. */
export interface ChildCpu {
  readonly user: number;
  readonly system: number;
}

/** A running server child: its URLs, its process, and what it was started with. */
export interface ServerChild {
  readonly url: string;
  readonly rawUrl: string;
  readonly process: ChildProcess;
  /** Its data directory (the given one, or its temporary one: gone after `close`); empty on PostgreSQL. */
  readonly dataDir: string;
  /** The `serverOptions` the server refused, each with the check's message; passed without them. */
  readonly ignored: Readonly<Record<string, string>>;
  /** Memory of the child after two full GCs. */
  memory(): Promise<ChildMemory>;
  /** Folds `partition`'s tail into its state now; resolves with the fold's report (`FoldReport`). */
  compact(partition: string): Promise<{ readonly from: number; readonly to: number; readonly stateBytes: number }>;
  /** The highest memory figures (with heapTotal) sampled since the previous call, which starts the sampling. */
  peaks(): Promise<ChildMemory & { readonly heapTotal: number }>;
  /** `process.cpuUsage()` of the child now, µs since it started. */
  cpu(): Promise<ChildCpu>;
  close(): Promise<void>;
}

let spawned = 0;

/** Starts server-child.ts in its own Node process (profiled too under BENCH_CPU_PROF=1). */
export async function spawnServer(options: SpawnOptions = {}): Promise<ServerChild> {
  const here = dirname(fileURLToPath(import.meta.url));
  const args = ['--import', 'tsx', '--expose-gc'];
  if (process.env.BENCH_CPU_PROF === '1') {
    // The server's share of the time, beside the benchmark process's own profile (run.ts).
    // Node's default file names (pid, thread, sequence): tsx's loader thread writes a profile of
    // its own, which one fixed name would let overwrite the server's.
    const dir = join(here, 'profiles', `server-${process.pid}-${++spawned}`);
    mkdirSync(dir, { recursive: true });
    args.push('--cpu-prof', '--cpu-prof-dir', dir);
  }
  args.push(join(here, 'server-child.ts'));
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_SERVER_DURABILITY: options.durability ?? 'full' };
  delete env.BENCH_SERVER_DATA_DIR;
  delete env.BENCH_SERVER_POSTGRES;
  if (options.dataDir !== undefined && options.postgres !== undefined) throw new TypeError('spawnServer: dataDir or postgres, not both');
  if (options.dataDir !== undefined) env.BENCH_SERVER_DATA_DIR = options.dataDir;
  if (options.postgres !== undefined) env.BENCH_SERVER_POSTGRES = options.postgres;
  env.BENCH_SERVER_OPTIONS = JSON.stringify(options.serverOptions ?? {});
  const proc = spawn(process.execPath, args, { cwd: join(here, '..'), stdio: ['pipe', 'pipe', 'inherit'], env });
  const lines = createInterface({ input: proc.stdout! });
  // Every line after the first answers one request, in order.
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const first = await withTimeout(
    new Promise<string>((resolve, reject) => {
      waiting.push(resolve);
      proc.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
    }),
    30_000,
    'server child start',
  );
  const hello = JSON.parse(first) as { url: string; rawUrl: string; dataDir: string; ignored: Record<string, string> };
  return {
    ...hello,
    process: proc,
    memory: () =>
      withTimeout(
        new Promise<ChildMemory>((resolve) => {
          waiting.push((line) => resolve(JSON.parse(line) as ChildMemory));
          proc.stdin!.write('memory\n');
        }),
        30_000,
        'server child memory',
      ),
    compact: (partition) =>
      withTimeout(
        new Promise<{ from: number; to: number; stateBytes: number }>((resolve) => {
          waiting.push((line) => resolve(JSON.parse(line) as { from: number; to: number; stateBytes: number }));
          proc.stdin!.write(`compact ${partition}\n`);
        }),
        900_000,
        'server child compact',
      ),
    peaks: () =>
      withTimeout(
        new Promise<ChildMemory & { heapTotal: number }>((resolve) => {
          waiting.push((line) => resolve(JSON.parse(line) as ChildMemory & { heapTotal: number }));
          proc.stdin!.write('peaks\n');
        }),
        30_000,
        'server child peaks',
      ),
    cpu: () =>
      withTimeout(
        new Promise<ChildCpu>((resolve) => {
          waiting.push((line) => resolve(JSON.parse(line) as ChildCpu));
          proc.stdin!.write('cpu\n');
        }),
        30_000,
        'server child cpu',
      ),
    close: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.stdin!.end();
      await withTimeout(exited, 60_000, 'server child exit').catch(() => proc.kill('SIGKILL'));
    },
  };
}

/** The extra options the server's check accepts (beside `storage`), and those it refuses with its message. */
function gateOptions(storage: { dataDir: string } | { postgres: string }, extra: Record<string, unknown>): { accepted: Record<string, unknown>; ignored: Record<string, string> } {
  const accepted: Record<string, unknown> = {};
  const ignored: Record<string, string> = {};
  for (const [key, value] of Object.entries(extra)) {
    try {
      checkServerOptions({ ...storage, [key]: value });
      accepted[key] = value;
    } catch (error) {
      ignored[key] = error instanceof Error ? error.message : String(error);
    }
  }
  return { accepted, ignored };
}

async function serve(): Promise<void> {
  const durability: 'full' | 'batched' = process.env.BENCH_SERVER_DURABILITY === 'batched' ? 'batched' : 'full';
  const postgres = process.env.BENCH_SERVER_POSTGRES;
  const given = process.env.BENCH_SERVER_DATA_DIR;
  // A node on PostgreSQL has no directory of its own (nothing to make, nothing to remove).
  const dataDir = postgres !== undefined ? '' : given ?? mkdtempSync(join(tmpdir(), 'sync-bench-server-'));
  const storage = postgres !== undefined ? { postgres } : { dataDir, durability };
  const { accepted, ignored } = gateOptions(postgres !== undefined ? { postgres } : { dataDir }, JSON.parse(process.env.BENCH_SERVER_OPTIONS ?? '{}') as Record<string, unknown>);
  const server = await startServer({ ...accepted, ...storage, port: 0, maxMessageBytes: 64 * 1024 * 1024 });

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
  process.stdout.write(`${JSON.stringify({ url: server.url, rawUrl, dataDir, ignored })}\n`);

  const stop = async (): Promise<void> => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    http.closeAllConnections();
    http.close();
    await server.close();
    if (given === undefined && dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  const zero = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  let peaks = { ...zero };
  let sampler: NodeJS.Timeout | undefined;
  const sample = (): void => {
    const now = process.memoryUsage();
    for (const key of Object.keys(zero) as Array<keyof typeof zero>) peaks[key] = Math.max(peaks[key], now[key]);
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'peaks') {
      sample();
      process.stdout.write(`${JSON.stringify(peaks)}\n`);
      peaks = { ...zero };
      sampler ??= setInterval(sample, 20).unref();
      return;
    }
    if (line.startsWith('compact ')) {
      void server.compactPartition(line.slice('compact '.length)).then(
        (report) => process.stdout.write(`${JSON.stringify(report)}\n`),
        (error: unknown) => process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`),
      );
      return;
    }
    if (line === 'cpu') {
      process.stdout.write(`${JSON.stringify(process.cpuUsage())}\n`);
      return;
    }
    if (line !== 'memory') return;
    // Twice: a first pass can leave objects with finalizers for the second.
    gc?.();
    gc?.();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.stdout.write(`${JSON.stringify({ rss, heapUsed, external, arrayBuffers })}\n`);
  });
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
