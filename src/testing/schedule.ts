/**
 * Schedules: what happens in a simulated run, as plain data drawn from a seed. A step names the
 * client it acts on by index, so that a schedule stays valid when steps are removed from it (a
 * failure is shrunk by removing steps and running again).
 */
import type { SeededRandom } from './seeded-random.js';

/** Which faults a run draws (all by default). */
export interface FaultOptions {
  /** Connections cut, connects refused, partitions, stalls. */
  readonly network?: boolean;
  /** Client machines crashed (power loss) and restarted. */
  readonly clientCrashes?: boolean;
  /** The server machine crashed and restarted. */
  readonly serverCrashes?: boolean;
  /** Partitions reset by the server's operator (`resetPartition`, documents kept). */
  readonly partitionResets?: boolean;
  /** A client's user lowered to read-only and back: its writes meanwhile are refused (compensating writes). */
  readonly permissionChanges?: boolean;
}

/** One step of a schedule. `client` is an index into the run's clients. */
export type Step =
  | { readonly kind: 'write'; readonly client: number; readonly doc: number; readonly field: number }
  | { readonly kind: 'delete'; readonly client: number; readonly doc: number }
  | { readonly kind: 'waitUpload'; readonly client: number; readonly abortAfterMs?: number }
  | { readonly kind: 'waitDownload'; readonly client: number; readonly abortAfterMs?: number }
  | { readonly kind: 'progress'; readonly client: number; readonly direction: 'upload' | 'download'; readonly mode: 'reportIndefinitely' | 'forCurrentlyOutstandingWork' }
  | { readonly kind: 'pause'; readonly client: number }
  | { readonly kind: 'resume'; readonly client: number }
  | { readonly kind: 'close'; readonly client: number }
  | { readonly kind: 'reopen'; readonly client: number }
  | { readonly kind: 'logout'; readonly client: number }
  | { readonly kind: 'login'; readonly client: number }
  /** Power loss now, or (`insideCalls`) inside the machine's `insideCalls`-th next call that changes its disk. */
  | { readonly kind: 'crashClient'; readonly client: number; readonly insideCalls?: number }
  | { readonly kind: 'crashServer'; readonly insideCalls?: number }
  | { readonly kind: 'resetPartition'; readonly partition: number }
  | { readonly kind: 'cut'; readonly client: number }
  | { readonly kind: 'partition'; readonly client: number }
  | { readonly kind: 'stall'; readonly client: number }
  | { readonly kind: 'heal'; readonly client: number }
  | { readonly kind: 'flaky'; readonly refuseChance: number }
  /** What the server's `permissions` answers for the client's user from now on. */
  | { readonly kind: 'permission'; readonly client: number; readonly permission: 'read' | 'readWrite' }
  | { readonly kind: 'elapse'; readonly ms: number };

/** Every kind of step. */
export type StepKind = Step['kind'];

/** The shape of a run: how many clients, partitions and documents, and the faults drawn. */
export interface RunShape {
  readonly clients: number;
  readonly partitions: number;
  /** Shared documents per partition that the clients write and delete. */
  readonly documents: number;
  /** Fields per document. */
  readonly fields: number;
  readonly faults: Required<FaultOptions>;
}

/** Relative weights of the step kinds: writes and time passing dominate, faults are rarer. */
function weights(faults: Required<FaultOptions>): Array<[StepKind, number]> {
  const w: Array<[StepKind, number]> = [
    ['write', 30],
    ['delete', 4],
    ['waitUpload', 6],
    ['waitDownload', 5],
    ['progress', 3],
    ['pause', 2],
    ['resume', 3],
    ['close', 2],
    ['reopen', 3],
    ['logout', 1],
    ['login', 2],
    ['elapse', 20],
  ];
  if (faults.network) w.push(['cut', 3], ['partition', 2], ['stall', 1], ['heal', 4], ['flaky', 1]);
  if (faults.clientCrashes) w.push(['crashClient', 2]);
  if (faults.serverCrashes) w.push(['crashServer', 1]);
  if (faults.partitionResets) w.push(['resetPartition', 1]);
  if (faults.permissionChanges) w.push(['permission', 2]);
  return w;
}

/** A schedule of `steps` steps for a run of `shape`, drawn from `random`. */
export function generateSchedule(random: SeededRandom, shape: RunShape, steps: number): Step[] {
  const table = weights(shape.faults);
  const total = table.reduce((sum, [, weight]) => sum + weight, 0);
  const out: Step[] = [];
  for (let i = 0; i < steps; i++) {
    let roll = random.int(0, total - 1);
    let kind: StepKind = 'elapse';
    for (const [k, weight] of table) {
      if (roll < weight) {
        kind = k;
        break;
      }
      roll -= weight;
    }
    out.push(drawStep(random, shape, kind));
  }
  return out;
}

function drawStep(random: SeededRandom, shape: RunShape, kind: StepKind): Step {
  const client = random.int(0, shape.clients - 1);
  switch (kind) {
    case 'write':
      return { kind, client, doc: random.int(0, shape.documents - 1), field: random.int(0, shape.fields - 1) };
    case 'delete':
      return { kind, client, doc: random.int(0, shape.documents - 1) };
    case 'waitUpload':
    case 'waitDownload':
      return random.chance(0.25) ? { kind, client, abortAfterMs: random.int(0, 200) } : { kind, client };
    case 'progress':
      return { kind, client, direction: random.pick(['upload', 'download'] as const), mode: random.pick(['reportIndefinitely', 'forCurrentlyOutstandingWork'] as const) };
    // Half the crashes strike inside a write path (between a write and its fsync, or mid-rename).
    case 'crashServer':
      return random.chance(0.5) ? { kind, insideCalls: random.int(1, 12) } : { kind };
    case 'crashClient':
      return random.chance(0.5) ? { kind, client, insideCalls: random.int(1, 12) } : { kind, client };
    case 'resetPartition':
      return { kind, partition: random.int(0, shape.partitions - 1) };
    case 'flaky':
      return { kind, refuseChance: random.pick([0, 0, 0.3, 0.8]) };
    case 'permission':
      return { kind, client, permission: random.pick(['read', 'readWrite'] as const) };
    case 'elapse':
      // Now and then past an access token's lifetime (the simulated server's is 60 s): a refresh.
      return { kind, ms: random.chance(0.03) ? 61_000 : random.pick([1, 5, 20, 100, 500, 2_000, 10_000]) };
    default:
      return { kind, client };
  }
}

/** A step as one line of text, for traces and the printed schedule of a failure. */
export function describeStep(step: Step): string {
  const { kind, ...rest } = step;
  const args = Object.entries(rest)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return args === '' ? kind : `${kind} ${args}`;
}
