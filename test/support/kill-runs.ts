/**
 * What a test that kills processes with SIGKILL at random instants sets up: a temporary root for
 * their data (removed after the file's tests), the processes it started (stopped after each test,
 * so none outlives it), and a seeded source of instants (`CRASH_SEED=…` replays a run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
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
