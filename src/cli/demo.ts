import { parseArgs } from 'node:util';
import { runSyncDemo } from '../demo/sync-demo.js';

/** What `sync-session demo --help` prints. */
export const demoUsage = `usage: sync-session demo [--hold] [--inspect-port 9777 | --no-inspect]

Runs an embedded server and two clients syncing on one partition, with the inspector viewer
(its address is printed; a free port is used when 9777 is taken). --hold keeps everything
running after the story, with a write every few seconds, until Ctrl-C.`;

/** `sync-session demo` (what `npm start` runs). Exit code 0 when the replicas ended equal. */
export async function demo(argv: readonly string[]): Promise<number> {
  let values: { hold?: boolean; 'inspect-port'?: string; 'no-inspect'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { hold: { type: 'boolean' }, 'inspect-port': { type: 'string' }, 'no-inspect': { type: 'boolean' }, help: { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    console.error(`sync-session demo: ${(error as Error).message}\n\n${demoUsage}`);
    return 2;
  }
  if (values.help) {
    console.log(demoUsage);
    return 0;
  }
  const port = values['inspect-port'] === undefined ? undefined : Number(values['inspect-port']);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    console.error(`sync-session demo: --inspect-port must be an integer 0..65535, got ${values['inspect-port']}`);
    return 2;
  }
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
