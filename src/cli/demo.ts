import { runSyncDemo } from '../demo/sync-demo.js';
import { portFrom, readCommandLine } from './args.js';

/** What `sync-session demo --help` prints. */
export const demoUsage = `usage: sync-session demo [--hold] [--inspect-port 9777 | --no-inspect]

Runs an embedded server and two clients syncing on one partition, with the inspector viewer
(its address is printed; a free port is used when 9777 is taken). --hold keeps everything
running after the story, with a write every few seconds, until Ctrl-C.`;

/** `sync-session demo` (what `npm start` runs). Exit code 0 when the replicas ended equal. */
export async function demo(argv: readonly string[]): Promise<number> {
  const read = readCommandLine('demo', demoUsage, argv, { hold: 'boolean', 'inspect-port': 'string', 'no-inspect': 'boolean' });
  if ('exit' in read) return read.exit;
  const { values } = read;
  const port = portFrom('demo', 'inspect-port', values['inspect-port'], undefined);
  if (port === 'bad') return 2;
  let hold: AbortController | undefined;
  if (values.hold) {
    hold = new AbortController();
    const stop = () => hold?.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  const result = await runSyncDemo({
    ...(values['no-inspect'] ? { inspectPort: false } : port === undefined ? {} : { inspectPort: port }),
    ...(hold === undefined ? {} : { hold: hold.signal }),
  });
  return result.replicasEqual ? 0 : 1;
}
