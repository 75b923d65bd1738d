import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTsxProcess } from './tsx-process.js';

const fixture = fileURLToPath(new URL('../server/fixtures/serve.ts', import.meta.url));

/** A sync server in a child process, to be killed for real. */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
}

/** Starts `test/server/fixtures/serve.ts` on `dataDir`; resolves once it listens (at most 20 s). */
export async function startServerProcess(dataDir: string, port = 0): Promise<ServerProcess> {
  // The fixture prints one JSON line, `{ url, port }`, once it listens.
  const listening = (output: string) => output.split('\n').find((line) => line.startsWith('{') && line.endsWith('}'));
  const server = await startTsxProcess([fixture, dataDir, String(port)], (output) => listening(output) !== undefined);
  const { url, port: bound } = JSON.parse(listening(server.output())!) as { url: string; port: number };
  return {
    url,
    port: bound,
    child: server.child,
    kill: async () => {
      await server.stop();
    },
  };
}
