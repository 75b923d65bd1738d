import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTsxProcess } from './tsx-process.js';

const fixture = fileURLToPath(new URL('../server/fixtures/serve.ts', import.meta.url));

/** A sync server in a child process, to be killed for real. */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
}

/**
 * Starts `test/server/fixtures/serve.ts` on `dataDir`; resolves once it listens (at most 20 s).
 * With `resetOnSignal`, SIGUSR2 makes the process reset that partition (see the fixture).
 */
export async function startServerProcess(dataDir: string, port = 0, options: { readonly resetOnSignal?: string } = {}): Promise<ServerProcess> {
  // The fixture prints one JSON line, `{ url, port }`, once it listens.
  const listening = (output: string) => output.split('\n').find((line) => line.startsWith('{"url"') && line.endsWith('}'));
  const args = [fixture, dataDir, String(port), ...(options.resetOnSignal === undefined ? [] : [options.resetOnSignal])];
  const server = await startTsxProcess(args, (output) => listening(output) !== undefined);
  const { url, port: bound } = JSON.parse(listening(server.output())!) as { url: string; port: number };
  return {
    url,
    port: bound,
    child: server.child,
    output: () => server.output(),
    kill: async () => {
      await server.stop();
    },
  };
}
