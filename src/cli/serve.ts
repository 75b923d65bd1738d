import { consoleLogger, type Logger } from '../store/logger.js';
import { startServer, type SyncServer } from '../server/index.js';
import { describePostgresUrl } from '../server/storage/postgres/postgres-server-storage.js';
import { portFrom, readCommandLine } from './args.js';

/** What `sync-session serve --help` prints. */
export const serveUsage = `usage: sync-session serve [--port 9090] [--host 127.0.0.1] [--data ./sync-data | --postgres URL]

Runs the reference sync server: auth at http://HOST:PORT/auth/*, sync at ws://HOST:PORT/sync,
each partition's history under --data, or, with --postgres postgres://user@host:5432/db, in that
database, which any number of such servers (nodes) may serve at once. Stops on Ctrl-C (SIGINT)
or SIGTERM.`;

/**
 * The server's log, less its own "sync server listening" line: the command prints that once
 * itself, with the login address too (two such lines read as two servers).
 */
const serveLogger: Logger = {
  ...consoleLogger,
  info: (message, details) => {
    if (message !== 'sync server listening') consoleLogger.info(message, details);
  },
};

/**
 * `sync-session serve`: starts the server and keeps it up until a signal. Returns the exit
 * code once it stopped, or 2 for bad arguments (before anything is opened).
 */
export async function serve(argv: readonly string[]): Promise<number> {
  const read = readCommandLine('serve', serveUsage, argv, { port: 'string', host: 'string', data: 'string', postgres: 'string' });
  if ('exit' in read) return read.exit;
  const { values } = read;
  const port = portFrom('serve', 'port', values.port, 9090);
  if (port === 'bad' || port === undefined) return 2;
  let server: SyncServer;
  try {
    const storage = values.postgres !== undefined ? { postgres: values.postgres, ...(values.data !== undefined ? { dataDir: values.data } : {}) } : { dataDir: values.data ?? './sync-data' };
    server = await startServer({ port, host: values.host ?? '127.0.0.1', ...storage, logger: serveLogger });
  } catch (error) {
    // A flag startServer refuses (`--data ''`, `--host ''`) is bad arguments, said in one line, not a stack.
    if (!(error instanceof TypeError && error.message.startsWith('startServer: '))) throw error;
    const said = error.message
      .replace(/^startServer: /, '')
      .replace(/\bdataDir\b/g, '--data (dataDir)')
      .replace(/\bpostgres\b(?!:)/g, '--postgres')
      .replace(/^host/, '--host (host)');
    console.error(`sync-session serve: ${said}`);
    return 2;
  }
  const where = values.postgres !== undefined ? `data in ${describePostgresUrl(values.postgres)}` : `data in ${values.data ?? './sync-data'}`;
  console.log(`sync-session server listening on ${server.url.replace(/^http/, 'ws')}/sync (auth: ${server.url}/auth/login), ${where}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  console.log('sync-session server stopped');
  return 0;
}
