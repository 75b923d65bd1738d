import { describe, it } from 'vitest';
import { batch, runSchedules } from './simulation-runs.js';

// Half of the CI-sized simulation (the other half runs beside it in another worker). SIM_RUNS
// (default 10,000, split between the halves), SIM_STEPS (default 100) and SIM_SEED (the first
// seed; printed) change it; a failure prints its seed, shrunk schedule and replay command.
const { firstSeed, runs, steps } = batch(1, 2);

describe('the simulation, CI-sized', () => {
  it(`${runs} seeded schedules of ${steps} steps hold every invariant (half 2 of 2)`, { timeout: 1_800_000 }, async () => {
    await runSchedules('simulation half 2', firstSeed, runs, steps);
  });
});
