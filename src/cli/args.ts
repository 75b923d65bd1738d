import { parseArgs } from 'node:util';

/** The flags a command takes: each a string option or a boolean switch. */
type Flags = Record<string, 'string' | 'boolean'>;

/** What the command line gave for `flags` (strings for string options, `true` for switches). */
export type FlagValues<F extends Flags> = { [K in keyof F]?: F[K] extends 'string' ? string : boolean };

/**
 * `--port -1` as `--port=-1`: parseArgs takes a value starting with a dash for a missing one
 * ("argument is ambiguous"), so the port check, which says what a port must be, never saw it.
 */
function attachNegativeValues(argv: readonly string[], flags: Flags): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg.startsWith('--') && flags[arg.slice(2)] === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  return joined;
}

/**
 * Reads a command's arguments: its values, or the exit code when the command is done already
 * (2 after printing the error and the usage, 0 after printing the usage for `--help`).
 */
export function readCommandLine<F extends Flags>(command: string, usage: string, argv: readonly string[], flags: F): { values: FlagValues<F> } | { exit: number } {
  const options = Object.fromEntries(Object.entries({ ...flags, help: 'boolean' }).map(([name, type]) => [name, { type }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: attachNegativeValues(argv, flags), options: options as Record<string, { type: 'string' | 'boolean' }>, strict: true }));
  } catch (error) {
    console.error(`sync-session ${command}: ${(error as Error).message}\n\n${usage}`);
    return { exit: 2 };
  }
  if (values['help'] === true) {
    console.log(usage);
    return { exit: 0 };
  }
  return { values: values as FlagValues<F> };
}

/** A port from `--flag`: `fallback` when absent, `'bad'` (after saying why) when it is not a port. */
export function portFrom(command: string, flag: string, text: string | undefined, fallback: number | undefined): number | undefined | 'bad' {
  if (text === undefined) return fallback;
  // Digits only: Number() would also take '0x50', '1e3' and ' 80'.
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (port <= 65_535) return port;
  console.error(`sync-session ${command}: --${flag} must be an integer 0–65535 (0 = a free port), got ${text}`);
  return 'bad';
}
