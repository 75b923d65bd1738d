import { describeFailure, shrink, simulate } from '../testing/simulate.js';
import { readCommandLine } from './args.js';

/** What `sync-session simulate --help` prints. */
export const simulateUsage = `usage: sync-session simulate [--seed S] [--runs N] [--steps K] [--clients C] [--partitions P]

Runs the deterministic simulation of the whole system (client apps, the server, and a simulated
clock, network and disks) for seeds S, S+1, …, S+N−1: K steps each (default 100), with faults.
Prints schedules per second. Exits 0 when every invariant held, 1 with the failing seed, its
shrunk schedule and the command that replays it. Defaults: a seed from the clock, 1 run.`;

/** A whole number from `--flag`, within [min, max]; `'bad'` after saying why. */
function intFrom(flag: string, text: string | undefined, fallback: number, min: number, max: number): number | 'bad' {
  if (text === undefined) return fallback;
  const n = /^-?\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  console.error(`sync-session simulate: --${flag} must be an integer from ${min} to ${max}, got ${text}`);
  return 'bad';
}

/** `sync-session simulate`: resolves with the exit code. */
export async function simulateCommand(argv: readonly string[]): Promise<number> {
  const read = readCommandLine('simulate', simulateUsage, argv, { seed: 'string', runs: 'string', steps: 'string', clients: 'string', partitions: 'string' });
  if ('exit' in read) return read.exit;
  const { values } = read;
  const seed = intFrom('seed', values.seed, Date.now() % 2 ** 31, -(2 ** 31), 2 ** 32 - 1);
  const runs = intFrom('runs', values.runs, 1, 1, 10_000_000);
  const steps = intFrom('steps', values.steps, 100, 0, 100_000);
  const clients = intFrom('clients', values.clients, 3, 1, 16);
  const partitions = intFrom('partitions', values.partitions, 1, 1, 16);
  if (seed === 'bad' || runs === 'bad' || steps === 'bad' || clients === 'bad' || partitions === 'bad') return 2;
  if (partitions > clients) {
    console.error('sync-session simulate: --partitions must be at most --clients');
    return 2;
  }
  const started = performance.now();
  const options = { steps, clients, partitions };
  for (let i = 0; i < runs; i++) {
    const result = await simulate({ ...options, seed: seed + i });
    if (!result.ok) {
      const shrunk = await shrink(result, options);
      console.log(describeFailure(result, shrunk));
      return 1;
    }
    if (runs <= 20 || (i + 1) % 100 === 0) console.log(`seed ${seed + i}: ok, digest ${result.digest}, ${result.stats.steps} steps, ${result.stats.writes} writes, ${Math.round(result.stats.simulatedMs / 1000)} s simulated`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${runs} schedules of ${steps} steps held every invariant: ${(runs / seconds).toFixed(1)} schedules/s (seeds ${seed}–${seed + runs - 1})`);
  return 0;
}
