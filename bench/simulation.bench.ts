/**
 * The deterministic simulation's speed: schedules of 100 steps per second on one thread, and how
 * many times faster than real time the simulated world runs (simulated ms per wall ms: the
 * baseline is real time itself, in the same run). Seeds 1…N, the same every run, so the numbers
 * compare across versions of the code.
 */
import { simulate } from '../src/testing/simulate.js';
import { measure, now, scaled, RUNS, SCALE, type Benchmark, type BenchReport } from './harness.js';

const SCHEDULES = scaled(100, 5);
const STEPS = 100;

export const simulation: Benchmark = {
  name: 'simulation',
  title: `The deterministic simulation: ${SCHEDULES} schedules of ${STEPS} steps (3 clients, every fault), one thread`,
  async run(): Promise<BenchReport> {
    let seed = 1;
    const subjects = await measure({
      schedules: async () => {
        const start = now();
        let simulatedMs = 0;
        let steps = 0;
        for (let i = 0; i < SCHEDULES; i++) {
          const result = await simulate({ seed: seed++, steps: STEPS });
          if (!result.ok) throw new Error(`seed ${result.seed} broke an invariant: ${result.violations[0]?.message ?? ''}`);
          simulatedMs += result.stats.simulatedMs;
          steps += result.stats.steps;
        }
        const wallMs = now() - start;
        return { schedulesPerSecond: (SCHEDULES / wallMs) * 1000, stepsPerSecond: (steps / wallMs) * 1000, speedOverRealTime: simulatedMs / wallMs, msPerSchedule: wallMs / SCHEDULES };
      },
    });
    const metrics = subjects.schedules!.metrics;
    return {
      benchmark: 'simulation',
      title: this.title,
      scale: SCALE,
      runs: RUNS,
      sizes: { schedules: SCHEDULES, steps: STEPS },
      subjects,
      rows: [
        { metric: 'schedules per second (one thread)', unit: '/s', value: metrics.schedulesPerSecond! },
        { metric: 'steps per second', unit: '/s', value: metrics.stepsPerSecond! },
        { metric: 'simulated time per wall time', unit: '×', value: metrics.speedOverRealTime! },
        { metric: 'wall time per schedule', unit: 'ms', value: metrics.msPerSchedule! },
      ],
    };
  },
};
