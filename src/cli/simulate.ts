import { describeFailure, shrink, simulate } from '../testing/simulate.js';
import { Worker } from 'node:worker_threads';
import { readCommandLine } from './args.js';
import type { WorkerInput, WorkerMessage } from './simulate-worker.js';

/**
 * Runs seeds `first`…`first + runs − 1` on `workers` threads (seed i on thread i mod workers);
 * resolves to the lowest failing seed any thread reported, once all stopped.
 */
async function runOnWorkers(plan: { first: number; runs: number; workers: number; steps: number; clients: number; partitions: number }): Promise<number | undefined> {
  // The worker is this directory's sibling module, as .ts under tsx and .js once built.
  const here = new URL(import.meta.url);
  const fromSource = here.pathname.endsWith('.ts');
  const workerUrl = new URL(fromSource ? './simulate-worker.ts' : './simulate-worker.js', here);
  // A thread does not inherit the loader that runs TypeScript from source (tsx): it registers it first.
  const start = (input: WorkerInput): Worker =>
    fromSource
      ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); })`, { eval: true, workerData: input })
      : new Worker(workerUrl, { workerData: input });
  let failed: number | undefined;
  let done = 0;
  const threads: Worker[] = [];
  await new Promise<void>((resolve, reject) => {
    for (let k = 0; k < plan.workers; k++) {
      const count = Math.max(0, Math.ceil((plan.runs - k) / plan.workers));
      const input: WorkerInput = { first: plan.first + k, count, stride: plan.workers, steps: plan.steps, clients: plan.clients, partitions: plan.partitions };
      const worker = start(input);
      threads.push(worker);
      worker.on('message', (message: WorkerMessage) => {
        if (message.kind === 'failed') {
          failed = failed === undefined ? message.seed : Math.min(failed, message.seed);
          for (const other of threads) if (other !== worker) void other.terminate();
        }
        if (message.kind === 'ok' && (message.seed - plan.first + 1) % 500 === 0) console.log(`seed ${message.seed}: ok, digest ${message.digest}`);
      });
      worker.on('error', reject);
      worker.on('exit', () => {
        if (++done === plan.workers) resolve();
      });
    }
  });
  return failed;
}

/** What `sync-session simulate --help` prints. */
export const simulateUsage = `usage: sync-session simulate [--seed S] [--runs N] [--steps K] [--clients C] [--partitions P] [--workers W]

Runs the deterministic simulation of the whole system (client apps, the server, and a simulated
clock, network and disks) for seeds S, S+1, …, S+N−1: K steps each (default 100), with faults.
Prints schedules per second. Exits 0 when every invariant held, 1 with the failing seed, its
shrunk schedule and the command that replays it. --workers runs the seeds on W threads (one per
core). Defaults: a seed from the clock, 1 run, 1 worker.`;

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
  const read = readCommandLine('simulate', simulateUsage, argv, { seed: 'string', runs: 'string', steps: 'string', clients: 'string', partitions: 'string', workers: 'string' });
  if ('exit' in read) return read.exit;
  const { values } = read;
  const seed = intFrom('seed', values.seed, Date.now() % 2 ** 31, -(2 ** 31), 2 ** 31 - 1);
  const runs = intFrom('runs', values.runs, 1, 1, 10_000_000);
  const steps = intFrom('steps', values.steps, 100, 0, 100_000);
  const clients = intFrom('clients', values.clients, 3, 1, 16);
  const partitions = intFrom('partitions', values.partitions, 1, 1, 16);
  const workers = intFrom('workers', values.workers, 1, 1, 64);
  if (seed === 'bad' || runs === 'bad' || steps === 'bad' || clients === 'bad' || partitions === 'bad' || workers === 'bad') return 2;
  if (seed + runs - 1 > 2 ** 31 - 1) {
    console.error(`sync-session simulate: seeds ${seed}…${seed + runs - 1} run past 2147483647, the last seed there is`);
    return 2;
  }
  if (partitions > clients) {
    console.error('sync-session simulate: --partitions must be at most --clients');
    return 2;
  }
  const started = performance.now();
  const options = { steps, clients, partitions };
  if (workers > 1) {
    const failedSeed = await runOnWorkers({ first: seed, runs, workers, steps, clients, partitions });
    if (failedSeed !== undefined) {
      const result = await simulate({ ...options, seed: failedSeed });
      const shrunk = await shrink(result, options);
      console.log(describeFailure(result, shrunk));
      return 1;
    }
  }
  for (let i = 0; workers === 1 && i < runs; i++) {
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
