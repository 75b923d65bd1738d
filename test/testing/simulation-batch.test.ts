import { describe, it } from 'vitest';
import { batch, runSchedules } from './simulation-runs.js';

// A batch of the simulation inside the test runner (the CI-sized run, 10,000 schedules on both
// cores, is `npm run simulate:ci`, the last step of `npm test`). SIM_RUNS (default 200),
// SIM_STEPS (default 100) and SIM_SEED (the first seed; printed) change it; a failure prints
// its seed, shrunk schedule and replay command.
const { firstSeed, runs, steps } = batch(0, 1, 200);

describe('the simulation inside the test runner', () => {
  it(`${runs} seeded schedules of ${steps} steps hold every invariant`, { timeout: 1_800_000 }, async () => {
    await runSchedules('simulation batch', firstSeed, runs, steps);
  });
});
