import { runModelDemo } from '../demo/model-demo.js';

/** What `sync-session help` prints. */
export const usage = `usage: sync-session <command>

commands:
  demo      walk the session chart through a sync story and print what a user sees
  help      print this text

The embedded server (serve), the two-client demo over real sockets and the live inspector
arrive with the data plane and the runtime; see README.md.`;

/** Runs one command line; returns the process exit code. */
export function main(argv: readonly string[]): number {
  const [command = 'help'] = argv;
  switch (command) {
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
