/**
 * `simulate`: one deterministic run of the whole system (N client apps, the server, their
 * clock, network and disks simulated) from a seed, with the invariants checked after every step
 * and at the end. The same seed gives the same run, step for step, and the same digest.
 */
import { generateSchedule, describeStep, type FaultOptions, type RunShape, type Step, type StepKind } from './schedule.js';
import { SeededRandom } from './seeded-random.js';
import { SimWorld, type RunStats, type Violation } from './sim-world.js';
import type { SimModel } from './sim-client.js';

/** Options of {@link simulate}. */
export interface SimulateOptions {
  /** The seed: an integer; the same seed replays the same run. */
  readonly seed: number;
  /** Steps of the schedule drawn from the seed (default 100). */
  readonly steps?: number;
  /** Client machines (default 3, at most 16). */
  readonly clients?: number;
  /** Partitions the clients share, round robin (default 1). */
  readonly partitions?: number;
  /** Which faults the schedule draws (default: all). */
  readonly faults?: FaultOptions;
  /** Runs this schedule instead of drawing one (a shrunk failure, replayed). */
  readonly schedule?: readonly Step[];
  /** Keeps the trace's lines in the result (`trace`); the digest is computed either way. */
  readonly keepTrace?: boolean;
  /** Your app's own writes and invariant, run under the same faults (README, "Testing your own edge cases"). */
  readonly model?: SimModel;
}

/** What {@link simulate} found. */
export interface SimulationResult {
  /** True when no invariant broke. */
  readonly ok: boolean;
  readonly seed: number;
  /** The run's shape, as `simulate` took it: what a replay passes again. */
  readonly shape: { readonly clients: number; readonly partitions: number; readonly faults: Required<FaultOptions> };
  /** The schedule that ran. */
  readonly steps: readonly Step[];
  /** A hash of the run's trace: two runs of one seed give the same. */
  readonly digest: string;
  /** Broken invariants, in the order seen (the run stops at the first step that broke one). */
  readonly violations: readonly Violation[];
  readonly stats: RunStats;
  /** The trace's lines, with `keepTrace`. */
  readonly trace?: readonly string[];
}

const DEFAULT_FAULTS: Required<FaultOptions> = { network: true, clientCrashes: true, serverCrashes: true, partitionResets: true, permissionChanges: true };

function checkedInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`simulate: ${name} must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}

/** The shape and schedule `options` ask for, checked (a `TypeError` names a bad field). */
export function planRun(options: SimulateOptions): { readonly shape: RunShape; readonly schedule: readonly Step[] } {
  if (typeof options !== 'object' || options === null) throw new TypeError('simulate: options must be an object');
  // 32-bit, as the generator takes it: two seeds never name one run.
  const seed = checkedInteger('seed', options.seed, -(2 ** 31), 2 ** 31 - 1);
  const steps = checkedInteger('steps', options.steps ?? 100, 0, 100_000);
  const clients = checkedInteger('clients', options.clients ?? 3, 1, 16);
  const partitions = checkedInteger('partitions', options.partitions ?? 1, 1, clients);
  if (options.faults !== undefined && (typeof options.faults !== 'object' || options.faults === null || Array.isArray(options.faults))) {
    throw new TypeError('simulate: faults must be an object { network?, clientCrashes?, serverCrashes?, partitionResets?, permissionChanges? }');
  }
  const faults = { ...DEFAULT_FAULTS, ...(options.faults ?? {}) };
  for (const [key, value] of Object.entries(faults)) {
    if (!(key in DEFAULT_FAULTS)) throw new TypeError(`simulate: unknown fault ${key}`);
    if (typeof value !== 'boolean') throw new TypeError(`simulate: faults.${key} must be a boolean`);
  }
  const { model } = options;
  if (model !== undefined) {
    if (typeof model !== 'object' || model === null) throw new TypeError('simulate: model must be an object { types?, write?, check? }');
    for (const key of Object.keys(model)) if (!['types', 'write', 'check'].includes(key)) throw new TypeError(`simulate: unknown option model.${key}`);
    if (model.write !== undefined && typeof model.write !== 'function') throw new TypeError('simulate: model.write must be a function (tx, { realm, client, random }) => void');
    if (model.check !== undefined && typeof model.check !== 'function') throw new TypeError('simulate: model.check must be a function (realm, { client }) => string | undefined');
    if (model.types !== undefined && (!Array.isArray(model.types) || !model.types.every((t) => typeof t === 'string'))) throw new TypeError('simulate: model.types must be an array of document type names');
  }
  const shape: RunShape = { clients, partitions, documents: 4, fields: 3, faults };
  const schedule = options.schedule === undefined ? generateSchedule(new SeededRandom(seed ^ 0x5eed), shape, steps) : checkedSchedule(options.schedule, shape);
  return { shape, schedule };
}

/** Most simulated time one `elapse` step may ask for: an hour (every timer due in it fires). */
const MAX_ELAPSE_MS = 3_600_000;

/** `schedule` if every step is one `generateSchedule` could draw for `shape`; else a `TypeError` naming the step and field. */
function checkedSchedule(schedule: unknown, shape: RunShape): readonly Step[] {
  if (!Array.isArray(schedule)) throw new TypeError('simulate: schedule must be an array of steps');
  if (schedule.length > 100_000) throw new TypeError(`simulate: schedule has ${schedule.length} steps, at most 100,000`);
  const int = (at: string, value: unknown, min: number, max: number): void => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new TypeError(`simulate: ${at} must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`);
    }
  };
  const oneOf = (at: string, value: unknown, allowed: readonly string[]): void => {
    if (typeof value !== 'string' || !allowed.includes(value)) throw new TypeError(`simulate: ${at} must be one of ${allowed.join(', ')}, got ${String(value)}`);
  };
  const fields: Record<StepKind, readonly string[]> = {
    write: ['client', 'doc', 'field'],
    delete: ['client', 'doc'],
    waitUpload: ['client', 'abortAfterMs'],
    waitDownload: ['client', 'abortAfterMs'],
    progress: ['client', 'direction', 'mode'],
    pause: ['client'],
    resume: ['client'],
    close: ['client'],
    reopen: ['client'],
    logout: ['client'],
    login: ['client'],
    crashClient: ['client', 'insideCalls'],
    crashServer: ['insideCalls'],
    resetPartition: ['partition'],
    cut: ['client'],
    partition: ['client'],
    stall: ['client'],
    heal: ['client'],
    flaky: ['refuseChance'],
    permission: ['client', 'permission'],
    elapse: ['ms'],
  };
  const checked: Step[] = [];
  // By index, not forEach: a hole in the array is a step too, and a bad one.
  for (let i = 0; i < schedule.length; i++) {
    const step: unknown = schedule[i];
    const at = `schedule[${i}]`;
    if (typeof step !== 'object' || step === null) throw new TypeError(`simulate: ${at} must be a step object`);
    const s = step as Record<string, unknown>;
    oneOf(`${at}.kind`, s.kind, Object.keys(fields));
    const allowed = fields[s.kind as StepKind];
    for (const key of Object.keys(s)) if (key !== 'kind' && !allowed.includes(key)) throw new TypeError(`simulate: ${at} (${String(s.kind)}) has no field ${key}`);
    if (allowed.includes('client')) int(`${at}.client`, s.client, 0, shape.clients - 1);
    if (allowed.includes('doc')) int(`${at}.doc`, s.doc, 0, shape.documents - 1);
    if (allowed.includes('field')) int(`${at}.field`, s.field, 0, shape.fields - 1);
    if (s.abortAfterMs !== undefined) int(`${at}.abortAfterMs`, s.abortAfterMs, 0, MAX_ELAPSE_MS);
    if (s.insideCalls !== undefined) int(`${at}.insideCalls`, s.insideCalls, 1, 1_000);
    if (s.kind === 'progress') {
      oneOf(`${at}.direction`, s.direction, ['upload', 'download']);
      oneOf(`${at}.mode`, s.mode, ['reportIndefinitely', 'forCurrentlyOutstandingWork']);
    }
    if (s.kind === 'permission') oneOf(`${at}.permission`, s.permission, ['read', 'readWrite']);
    if (s.kind === 'resetPartition') int(`${at}.partition`, s.partition, 0, shape.partitions - 1);
    if (s.kind === 'elapse') int(`${at}.ms`, s.ms, 0, MAX_ELAPSE_MS);
    if (s.kind === 'flaky' && (typeof s.refuseChance !== 'number' || !(s.refuseChance >= 0 && s.refuseChance <= 1))) {
      throw new TypeError(`simulate: ${at}.refuseChance must be a number from 0 to 1, got ${String(s.refuseChance)}`);
    }
    // A copy: the caller's objects changing (or a getter) cannot change the run once checked.
    checked.push(Object.freeze({ ...s }) as unknown as Step);
  }
  return checked;
}

/** Runs one simulation; resolves with what it found (it rejects only on bad options). */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const { shape, schedule } = planRun(options);
  const world = new SimWorld(options.seed, shape, options.keepTrace === true, options.model);
  try {
    await world.boot();
    for (const step of schedule) {
      await world.step(step);
      if (world.violations.length > 0) break;
    }
    if (world.violations.length === 0) await world.finish();
  } catch (error) {
    world.violate(`the simulation itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    world.dispose();
  }
  return {
    ok: world.violations.length === 0,
    seed: options.seed,
    shape: { clients: shape.clients, partitions: shape.partitions, faults: shape.faults },
    steps: schedule,
    digest: world.digest(),
    violations: world.violations,
    stats: world.stats(),
    ...(options.keepTrace === true ? { trace: world.traceLines } : {}),
  };
}

/**
 * The shortest schedule found that still breaks an invariant, by removing chunks of steps and
 * running again (at most `maxRuns` runs). Resolves to the failing run of that schedule.
 */
export async function shrink(failed: SimulationResult, options: Omit<SimulateOptions, 'schedule' | 'seed'> = {}, maxRuns = 200): Promise<SimulationResult> {
  let best = failed;
  let steps = [...failed.steps];
  // A run stops at its first violation: the steps after it never ran.
  const lastStep = failed.violations[0]?.step ?? steps.length;
  steps = steps.slice(0, Math.min(steps.length, lastStep + 1));
  let runs = 0;
  for (let chunk = Math.max(1, Math.floor(steps.length / 2)); chunk >= 1 && runs < maxRuns; chunk = Math.floor(chunk / 2)) {
    for (let at = 0; at < steps.length && runs < maxRuns; ) {
      const candidate = [...steps.slice(0, at), ...steps.slice(at + chunk)];
      runs++;
      const result = await simulate({ ...failed.shape, ...options, seed: failed.seed, schedule: candidate });
      // The same kind of failure: a schedule that breaks the harness instead is another bug.
      if (!result.ok && isHarnessFailure(result) === isHarnessFailure(failed)) {
        steps = candidate;
        best = result;
      } else {
        at += chunk;
      }
    }
  }
  return best;
}

function isHarnessFailure(result: SimulationResult): boolean {
  return result.violations.some((v) => v.message.startsWith('the simulation itself failed'));
}

/** A failure as text: the seed, the violations, the shrunk schedule and how to replay it. */
export function describeFailure(result: SimulationResult, shrunk?: SimulationResult): string {
  const lines = [`simulation failed: seed ${result.seed}, digest ${result.digest}`];
  for (const v of result.violations.slice(0, 5)) lines.push(`  after step ${v.step}: ${v.message}`);
  if (shrunk !== undefined) {
    lines.push(`shrunk to ${shrunk.steps.length} steps (from ${result.steps.length}):`);
    for (const [i, step] of shrunk.steps.entries()) lines.push(`  ${i} ${describeStep(step)}`);
    lines.push(`  breaks: ${shrunk.violations[0]?.message ?? '(nothing)'}`);
    const { clients, partitions, faults } = result.shape;
    const allFaults = Object.values(faults).every((on) => on);
    lines.push(`replay the shrunk schedule: simulate({ seed: ${result.seed}, clients: ${clients}, partitions: ${partitions}, ${allFaults ? '' : `faults: ${JSON.stringify(faults)}, `}schedule: ${JSON.stringify(shrunk.steps)} })`);
  }
  const { clients, partitions, faults } = result.shape;
  // The command line draws every fault; a run with fewer replays only with simulate().
  if (Object.values(faults).every((on) => on)) {
    lines.push(`replay: npx sync-session simulate --seed ${result.seed} --runs 1 --steps ${result.steps.length} --clients ${clients} --partitions ${partitions}`);
  } else {
    lines.push(`replay: simulate({ seed: ${result.seed}, steps: ${result.steps.length}, clients: ${clients}, partitions: ${partitions}, faults: ${JSON.stringify(faults)} })`);
  }
  return lines.join('\n');
}
