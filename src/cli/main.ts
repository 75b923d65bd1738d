import { runModelDemo } from '../demo/model-demo.js';
import { demo } from './demo.js';
import { inspect } from './inspect.js';
import { serve } from './serve.js';

/** What `sync-session help` prints. */
export const usage = `usage: sync-session <command>

commands:
  demo        an embedded server and two clients syncing on one partition (the main job);
              demo --hold keeps it running (and its viewer usable) until Ctrl-C
  model-demo  walk the session chart alone through a sync story
  serve       run the reference sync server (serve --help for its options)
  inspect     run the inspector relay and its viewer page (inspect --help)
  help        print this text`;

/** Runs one command line; resolves with the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'inspect':
      return inspect(rest);
    case 'demo':
      return demo(rest);
    case 'model-demo': {
      console.log('sync-session model-demo: the session chart (machines/session.machine.ts) driven through one story\n');
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
