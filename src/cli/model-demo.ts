import { runModelDemo } from '../demo/model-demo.js';
import { readCommandLine } from './args.js';

/** What `sync-session model-demo --help` prints. */
export const modelDemoUsage = `usage: sync-session model-demo

Walks the session chart (machines/session.machine.ts) alone, with no server and no files,
through one story: open, connect, write, wait, pause, resume, upload, close. Prints each event,
the state it leads to, the effects the runtime would perform, progress bars and waits settling.`;

/** `sync-session model-demo`: exit code 0 when the story ends with the session inactive. */
export function modelDemo(argv: readonly string[]): number {
  const read = readCommandLine('model-demo', modelDemoUsage, argv, {});
  if ('exit' in read) return read.exit;
  console.log('sync-session model-demo: the session chart (machines/session.machine.ts) driven through one story\n');
  const final = runModelDemo();
  console.log(`\nfinal state: ${final}`);
  return final === 'inactive' ? 0 : 1;
}
