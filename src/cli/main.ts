import { demo } from './demo.js';
import { inspect } from './inspect.js';
import { modelDemo } from './model-demo.js';
import { serve } from './serve.js';
import { simulateCommand } from './simulate.js';
import { packageVersion } from './version.js';

/** What `sync-session help` prints. */
export const usage = `usage: sync-session <command> [--help]
       sync-session --version

commands:
  demo        an embedded server and two clients syncing on one partition (the main job);
              demo --hold keeps it running (and its viewer usable) until Ctrl-C
  model-demo  walk the session chart alone through a sync story
  serve       run the reference sync server
  inspect     run the inspector relay and its viewer page
  simulate    run the deterministic simulation of the whole system for seeds S, S+1, …
  help        print this text
sync-session <command> --help prints the command's options.`;

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
    case 'model-demo':
      return modelDemo(rest);
    case 'simulate':
      return simulateCommand(rest);
    case '--version':
      console.log(packageVersion());
      return 0;
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
