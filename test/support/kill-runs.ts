/**
 * What a test that kills processes with SIGKILL at random instants sets up: a temporary root for
 * their data (removed after the file's tests), the processes it started (stopped after each test,
 * so none outlives it), and a seeded source of instants (`CRASH_SEED=…` replays a run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach } from 'vitest';
import { seededUniform } from './seeded-random.js';
import type { TsxProcess } from './tsx-process.js';

/** The set-up of one test file's kill runs. */
export interface KillRuns {
  /** A temporary directory for the file's tests. */
  readonly root: string;
  /** Processes started and not yet stopped: push each, take it out once killed. */
  readonly running: TsxProcess[];
  /** The seed (`CRASH_SEED`, else the clock), for the test's report. */
  readonly seed: number;
  /** Uniform in [0, 1) from the seed. */
  readonly uniform: () => number;
}

/** Registers the hooks of a file of kill runs; call at the file's top level. */
export function useKillRuns(prefix: string): KillRuns {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const running: TsxProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
  return { root, running, seed, uniform: seededUniform(seed) };
}

/**
 * The child processes a test file spawns itself (`spawn`), each added when started: registered
 * before any starts, the hook SIGKILLs those still alive after each test, so a test that ends
 * early (a failure, a timeout) leaves none behind.
 */
export function useChildProcesses(): Set<ChildProcess> {
  const children = new Set<ChildProcess>();
  afterEach(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
  });
  return children;
}

/** How a child of {@link runUntilKilled} is read and when it is killed. */
export interface KillWhen {
  /** The lines it prints that count (others are reported as unexpected). */
  readonly line: RegExp;
  /** Called with each counted line's match, in order. */
  readonly onLine: (match: RegExpExecArray) => void;
  /** Asked after each chunk of output: true to SIGKILL it now. */
  readonly killNow: () => boolean;
  /** SIGKILLed after this long regardless (ms). */
  readonly deadlineMs: number;
}

/**
 * Spawns `node --import tsx <script> ...args` from `cwd`, reads its lines, SIGKILLs it when
 * `when.killNow()` says so (or at the deadline), and resolves once it is gone, with the signal
 * and what it wrote to stderr (unexpected lines included). An unterminated last line does not
 * count: it was not fully printed. The child is in `children` while it lives.
 */
export function runUntilKilled(children: Set<ChildProcess>, cwd: string, script: string, args: readonly string[], when: KillWhen): Promise<{ readonly signal: NodeJS.Signals | null; readonly stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let partial = '';
    let stderr = '';
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const deadline = setTimeout(kill, when.deadlineMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const match = when.line.exec(line);
        if (match === null) stderr += `unexpected child output: ${line}\n`;
        else when.onLine(match);
      }
      if (when.killNow()) kill();
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(deadline);
      children.delete(child);
      resolve({ signal, stderr });
    });
  });
}
