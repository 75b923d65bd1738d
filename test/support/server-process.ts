import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTsxProcess } from './tsx-process.js';

const fixture = fileURLToPath(new URL('../server/fixtures/serve.ts', import.meta.url));

/** A sync server in a child process, to be killed for real. */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Its exit code (null when a signal ended it), once it ended. */
  readonly exited: Promise<number | null>;
  /** Everything it printed so far. */
  output(): string;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
}

/** How {@link startServerProcess} starts the fixture beside its store and port. */
export interface ServerProcessOptions {
  /** SIGUSR2 makes the process reset this partition (see the fixture). */
  readonly resetOnSignal?: string;
  /** With a database URL: the node's `pollIntervalMs`. */
  readonly pollIntervalMs?: number;
}

/**
 * Starts `test/server/fixtures/serve.ts` on `store`, a data directory or a `postgres://` URL
 * (then the process is one node of that database); resolves once it listens (at most 20 s).
 */
export async function startServerProcess(store: string, port = 0, options: ServerProcessOptions = {}): Promise<ServerProcess> {
  // The fixture prints one JSON line, `{ url, port }`, once it listens.
  const listening = (output: string) => output.split('\n').find((line) => line.startsWith('{"url"') && line.endsWith('}'));
  const args = [
    fixture,
    store,
    String(port),
    ...(options.resetOnSignal === undefined ? [] : [options.resetOnSignal]),
    ...(options.pollIntervalMs === undefined ? [] : [`--poll-interval-ms=${options.pollIntervalMs}`]),
  ];
  const server = await startTsxProcess(args, (output) => listening(output) !== undefined);
  const { url, port: bound } = JSON.parse(listening(server.output())!) as { url: string; port: number };
  return {
    url,
    port: bound,
    child: server.child,
    exited: server.exited,
    output: () => server.output(),
    kill: async () => {
      await server.stop();
    },
  };
}
