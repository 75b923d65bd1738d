/**
 * vitest globalSetup: at the end of the run, every process the run started must be gone. Its
 * teardown kills each one still alive and fails the run, naming its pid and command line.
 *
 * A process is the run's if it descends from the vitest main process (ppid links in
 * /proc/<pid>/stat), or if it carries this run's mark in its environment: a child whose test
 * worker has already exited was reparented away from vitest, and only the inherited mark
 * still ties it to the run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

/** The environment variable marking the processes of one run; its value is unique per run. */
export const RUN_MARK = 'SYNC_SESSION_TEST_RUN';

/** A live process: its pid, parent pid and command line. */
export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly command: string;
}

const readOrUndefined = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // it ended while we looked, or is not ours to read
  }
};

/** Every process of this machine that is still running (zombies are already gone). */
export function liveProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOrUndefined(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    // The command name in parentheses may hold spaces and parentheses: the fields follow the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') continue;
    const cmdline = readOrUndefined(`/proc/${entry}/cmdline`) ?? '';
    found.push({ pid: Number(entry), ppid: Number(ppid), command: cmdline.split('\0').filter(Boolean).join(' ') });
  }
  return found;
}

/** The processes under `root` (not `root` itself), by the ppid links. */
export function descendantsOf(root: number, processes: readonly ProcessInfo[]): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcessInfo[] = [];
  const queue = [root];
  // Bounded: each pid is visited once (ppid links form a tree).
  const seen = new Set<number>([root]);
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

const marked = (pid: number, mark: string): boolean => (readOrUndefined(`/proc/${pid}/environ`) ?? '').split('\0').includes(`${RUN_MARK}=${mark}`);

/**
 * vitest's own helpers, which may outlive the test workers until vitest exits: its worker pool
 * (a worker still winding down) and the transformer's esbuild service.
 */
const isVitestMachinery = (p: ProcessInfo): boolean => /node_modules\/vitest\/dist\/workers\//.test(p.command) || /\besbuild\b.*--service=/.test(p.command);

/** The processes of the run with id `mark` (under `root`, or carrying the mark) still alive, vitest's own aside. */
export function leftovers(root: number, mark: string): ProcessInfo[] {
  const all = liveProcesses();
  const ours = new Map<number, ProcessInfo>();
  for (const p of descendantsOf(root, all)) ours.set(p.pid, p);
  for (const p of all) if (p.pid !== root && !ours.has(p.pid) && marked(p.pid, mark)) ours.set(p.pid, p);
  return [...ours.values()].filter((p) => !isVitestMachinery(p));
}

/** Marks the run, so that its processes are recognised even once reparented. */
export function setup(): void {
  process.env[RUN_MARK] = randomUUID();
}

/** Kills whatever the run left running and fails the run, naming each. */
export function teardown(): void {
  const mark = process.env[RUN_MARK];
  if (mark === undefined) throw new Error(`${RUN_MARK} is not set: the no-leftover-processes setup did not run`);
  const left = leftovers(process.pid, mark);
  if (left.length === 0) return;
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone: nothing to kill.
    }
  }
  const list = left.map((p) => `  pid ${p.pid}: ${p.command}`).join('\n');
  // Set as well as thrown: the exit code is what CI reads, whatever vitest makes of the throw.
  process.exitCode = 1;
  throw new Error(`the test run left ${left.length} process(es) running (killed now); each test must stop what it starts:\n${list}`);
}
