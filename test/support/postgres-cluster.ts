/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temporary folder, a server on
 * 127.0.0.1 at a free port, stopped and removed by `stop()`. `initdb` refuses root, so as root
 * the cluster is made and run as the `postgres` user (Debian's package makes it). The server
 * inherits this process's environment, so a server a test forgets to stop is found by the
 * end-of-run check for processes left behind.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running cluster. */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  readonly url: string;
  readonly port: number;
  /** Stops the server at once (`immediate`: as a crash would) and starts it again on the same files. */
  restart(): void;
  /** Stops the server at once (`immediate`), keeping its files, until `resume()`. */
  halt(): void;
  /** Starts the server a `halt()` stopped, on the same files and port. */
  resume(): void;
  /**
   * As `restart()`, without blocking this process while the server is down: clients and nodes
   * in this process keep running (and failing) through it, as they would in a real outage.
   */
  restartInBackground(): Promise<void>;
  /** Stops the server and removes its folder. Idempotent. */
  stop(): void;
}

/** A port nothing listens on now (the kernel's choice for port 0). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts a cluster with the server programs in `bin` (`POSTGRES.locate()`). */
export async function startPostgresCluster(bin: string): Promise<PostgresCluster> {
  const root = mkdtempSync(join(tmpdir(), 'pg-cluster-'));
  const data = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  /** Runs a server program, as `postgres` when this process is root. */
  const run = (program: string, args: readonly string[]): void => {
    const command = join(bin, program);
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, [...args]];
    execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  };
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${root} -c fsync=on`;
  /** As `run`, asynchronously. */
  const runInBackground = async (program: string, args: readonly string[]): Promise<void> => {
    const command = join(bin, program);
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, [...args]];
    await promisify(execFile)(file, argv, { timeout: 60_000 });
  };
  const startArgs = ['-D', data, '-l', join(root, 'server.log'), '-w', '-t', '60', '-o', options, 'start'];
  const start = (): void => run('pg_ctl', startArgs);
  const haltArgs = ['-D', data, '-m', 'immediate', '-w', 'stop'];
  const halt = (): void => run('pg_ctl', haltArgs);
  start();
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart() {
      halt();
      start();
    },
    halt,
    resume: start,
    async restartInBackground() {
      await runInBackground('pg_ctl', haltArgs);
      await runInBackground('pg_ctl', startArgs);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
