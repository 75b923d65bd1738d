import { describe, expect, it } from 'vitest';
import { describeFailure, shrink, simulate } from '../../src/testing/index.js';

/**
 * The CI-sized simulation: many seeded schedules of the whole system, each checked after every
 * step and at the end. SIM_RUNS and SIM_SEED set the size and the first seed (the seed is
 * printed, so a failure replays with `npx sync-session simulate --seed S`).
 */
const runs = Number(process.env.SIM_RUNS ?? 200);
const firstSeed = Number(process.env.SIM_SEED ?? Date.now() % 2 ** 31);
const steps = Number(process.env.SIM_STEPS ?? 100);

describe('the deterministic simulation of the whole system', () => {
  it('one seed gives the same run, step for step: the same digest twice, and another seed another', async () => {
    const a = await simulate({ seed: 42, steps: 60, keepTrace: true });
    const b = await simulate({ seed: 42, steps: 60, keepTrace: true });
    const c = await simulate({ seed: 43, steps: 60 });
    console.log(`seed 42: digest ${a.digest}, ${a.stats.steps} steps, ${a.stats.timersFired} timers; seed 43: ${c.digest}`);
    expect(b.trace).toEqual(a.trace);
    expect(b.digest).toBe(a.digest);
    expect(c.digest).not.toBe(a.digest);
    expect(a.ok, describeFailure(a)).toBe(true);
  });

  it(`${runs} schedules of ${steps} steps hold every invariant`, { timeout: 600_000 }, async () => {
    const started = performance.now();
    const totals = { writes: 0, waitsResolved: 0, waitsRejected: 0, clientCrashes: 0, serverCrashes: 0, partitionResets: 0, progressReports: 0, skippedSteps: 0 };
    const errors: Record<string, number> = {};
    for (let i = 0; i < runs; i++) {
      const result = await simulate({ seed: firstSeed + i, steps });
      if (!result.ok) {
        const shrunk = await shrink(result, { steps });
        expect.fail(describeFailure(result, shrunk));
      }
      for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += result.stats[key];
      for (const [code, n] of Object.entries(result.stats.sessionErrors)) errors[code] = (errors[code] ?? 0) + n;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`simulation: seeds ${firstSeed}–${firstSeed + runs - 1}, ${runs} schedules × ${steps} steps, ${(runs / seconds).toFixed(1)} schedules/s; covered ${JSON.stringify(totals)}; session errors ${JSON.stringify(errors)}`);
    expect(totals.writes).toBeGreaterThan(0);
  });
});
