import { expect } from 'vitest';
import { describeFailure, shrink, simulate } from '../../src/testing/index.js';

/** What a batch of schedules covered, summed over its runs. */
const COUNTED = ['writes', 'waitsResolved', 'waitsRejected', 'clientCrashes', 'serverCrashes', 'partitionResets', 'refusedWrites', 'progressReports', 'skippedSteps', 'timersFired', 'stateFrames'] as const;

/**
 * Runs `runs` seeded schedules of `steps` steps from `firstSeed` and fails on the first broken
 * invariant with its shrunk schedule and replay command; prints the seeds, the rate and what
 * the schedules covered.
 */
export async function runSchedules(label: string, firstSeed: number, runs: number, steps: number): Promise<void> {
  const started = performance.now();
  const totals = Object.fromEntries(COUNTED.map((k) => [k, 0])) as Record<(typeof COUNTED)[number], number>;
  const errors: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    const result = await simulate({ seed: firstSeed + i, steps });
    if (!result.ok) {
      const shrunk = await shrink(result, { steps });
      expect.fail(describeFailure(result, shrunk));
    }
    for (const key of COUNTED) totals[key] += result.stats[key];
    for (const [code, n] of Object.entries(result.stats.sessionErrors)) errors[code] = (errors[code] ?? 0) + n;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${label}: seeds ${firstSeed}–${firstSeed + runs - 1}, ${runs} schedules × ${steps} steps in ${seconds.toFixed(0)} s (${(runs / seconds).toFixed(1)} schedules/s); covered ${JSON.stringify(totals)}; session errors ${JSON.stringify(errors)}`,
  );
  expect(totals.writes).toBeGreaterThan(runs);
  // The simulated server folds small tails: some clients bootstrap from a folded state.
  if (runs >= 50) expect(totals.stateFrames).toBeGreaterThan(0);
  // Users lowered to read-only write on: some writes are refused and reverted.
  if (runs >= 50) expect(totals.refusedWrites).toBeGreaterThan(0);
}

/** The batch's size and first seed: `SIM_RUNS` schedules in all (`runs` by default, split between the batches), from `SIM_SEED` (random by default, printed). */
export function batch(index: number, of: number, runs: number): { readonly firstSeed: number; readonly runs: number; readonly steps: number } {
  const total = Number(process.env.SIM_RUNS ?? runs);
  const steps = Number(process.env.SIM_STEPS ?? 100);
  const base = Number(process.env.SIM_SEED ?? Math.floor(Date.now() / 1000) % 2 ** 30);
  const per = Math.ceil(total / of);
  return { firstSeed: base + index * per, runs: Math.max(0, Math.min(per, total - index * per)), steps };
}
