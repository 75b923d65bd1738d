import { parseArgs } from 'node:util';

/** The flags a command takes: each a string option or a boolean switch. */
type Flags = Record<string, 'string' | 'boolean'>;

/** What the command line gave for `flags` (strings for string options, `true` for switches). */
export type FlagValues<F extends Flags> = { [K in keyof F]?: F[K] extends 'string' ? string : boolean };

/**
 * Reads a command's arguments: its values, or the exit code when the command is done already
 * (2 after printing the error and the usage, 0 after printing the usage for `--help`).
 */
export function readCommandLine<F extends Flags>(command: string, usage: string, argv: readonly string[], flags: F): { values: FlagValues<F> } | { exit: number } {
  const options = Object.fromEntries(Object.entries({ ...flags, help: 'boolean' }).map(([name, type]) => [name, { type }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: options as Record<string, { type: 'string' | 'boolean' }>, strict: true }));
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
  const port = Number(text);
  if (Number.isInteger(port) && port >= 0 && port <= 65_535 && text.trim() !== '') return port;
  console.error(`sync-session ${command}: --${flag} must be an integer 0..65535, got ${text}`);
  return 'bad';
}
