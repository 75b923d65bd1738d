import { DEFAULT_INSPECT_PORT } from '../inspect/relay-inspector.js';
import { startInspectorRelay } from '../inspect/relay-server.js';
import { consoleLogger } from '../store/logger.js';
import { portFrom, readCommandLine } from './args.js';

/** What `sync-session inspect --help` prints. */
export const inspectUsage = `usage: sync-session inspect [--port ${DEFAULT_INSPECT_PORT}] [--host 127.0.0.1]

Runs the inspector relay: apps made with App({ inspect: true }) (or { inspect: { url } }) send
their session actors' inspection events to ws://HOST:PORT; the viewer page at http://HOST:PORT/
shows every live session's charts, state, progress, pending waits and event timeline. The Stately
inspector can read the same WebSocket. Loads nothing from outside this machine. Stops on Ctrl-C.`;

/** `sync-session inspect`: the relay and its viewer, until a signal. Exit code 2 for bad arguments. */
export async function inspect(argv: readonly string[]): Promise<number> {
  const read = readCommandLine('inspect', inspectUsage, argv, { port: 'string', host: 'string' });
  if ('exit' in read) return read.exit;
  const { values } = read;
  const port = portFrom('inspect', 'port', values.port, DEFAULT_INSPECT_PORT);
  if (port === 'bad' || port === undefined) return 2;
  const relay = await startInspectorRelay({ port, host: values.host ?? '127.0.0.1', logger: consoleLogger });
  console.log(`sync-session inspector: viewer at ${relay.url}, relay at ${relay.wsUrl} (App({ inspect: { url: '${relay.wsUrl}' } }))`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await relay.close();
  console.log(`sync-session inspector stopped (${relay.malformed()} malformed frames ignored)`);
  return 0;
}
