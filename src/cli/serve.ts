import { parseArgs } from 'node:util';
import { consoleLogger } from '../store/logger.js';
import { startServer } from '../server/index.js';

/** What `sync-session serve --help` prints. */
export const serveUsage = `usage: sync-session serve [--port 9090] [--host 127.0.0.1] [--data ./sync-data]

Runs the reference sync server: auth at http://HOST:PORT/auth/*, sync at ws://HOST:PORT/sync,
each partition's history under --data. Stops on Ctrl-C (SIGINT) or SIGTERM.`;

/**
 * `sync-session serve`: starts the server and keeps it up until a signal. Returns the exit
 * code once it stopped, or 2 for bad arguments (before anything is opened).
 */
export async function serve(argv: readonly string[]): Promise<number> {
  let values: { port?: string; host?: string; data?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    console.error(`sync-session serve: ${(error as Error).message}\n\n${serveUsage}`);
    return 2;
  }
  if (values.help) {
    console.log(serveUsage);
    return 0;
  }
  const port = Number(values.port ?? '9090');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`sync-session serve: --port must be an integer 0..65535, got ${values.port}`);
    return 2;
  }
  const server = await startServer({ port, host: values.host ?? '127.0.0.1', dataDir: values.data ?? './sync-data', logger: consoleLogger });
  console.log(`sync-session server listening on ${server.url.replace(/^http/, 'ws')}/sync (auth: ${server.url}/auth/login), data in ${values.data ?? './sync-data'}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  console.log('sync-session server stopped');
  return 0;
}
