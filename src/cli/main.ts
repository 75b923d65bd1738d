import { runModelDemo } from '../demo/model-demo.js';
import { serve } from './serve.js';

/** What `sync-session help` prints. */
export const usage = `usage: sync-session <command>

commands:
  demo      walk the session chart through a sync story and print what a user sees
  serve     run the reference sync server (serve --help for its options)
  help      print this text

The two-client demo over real sockets and the live inspector arrive with the session
runtime; see README.md.`;

/** Runs one command line; resolves with the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'demo': {
      console.log('sync-session demo: the session chart (machines/session.machine.ts) driven through one story\n');
      const final = runModelDemo();
      console.log(`\nfinal state: ${final}`);
      return final === 'inactive' ? 0 : 1;
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(usage);
      return 0;
    default:
      console.error(`sync-session: unknown command '${command}'\n\n${usage}`);
      return 2;
  }
}
