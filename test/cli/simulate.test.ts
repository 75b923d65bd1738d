import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-run.js';

describe('sync-session simulate', () => {
  it('runs seeds S, S+1, … and exits 0 when every invariant held, printing schedules per second; the same seed prints the same digest', async () => {
    const first = await runCli(['simulate', '--seed', '7', '--runs', '3', '--steps', '40'], 120_000);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^seed 7: ok, digest [0-9a-f]{16}, 40 steps/m);
    expect(first.stdout).toMatch(/^seed 9: ok/m);
    expect(first.stdout).toMatch(/^3 schedules of 40 steps held every invariant: [\d.]+ schedules\/s \(seeds 7–9\)$/m);
    const again = await runCli(['simulate', '--seed', '8', '--runs', '1', '--steps', '40'], 120_000);
    const digestOf = (out: string, seed: number): string | undefined => new RegExp(`^seed ${seed}: ok, digest ([0-9a-f]{16})`, 'm').exec(out)?.[1];
    expect(digestOf(again.stdout, 8)).toBe(digestOf(first.stdout, 8));
  });

  it('--workers runs the seeds on threads', async () => {
    const run = await runCli(['simulate', '--seed', '1', '--runs', '6', '--steps', '30', '--workers', '2'], 120_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^6 schedules of 30 steps held every invariant: [\d.]+ schedules\/s \(seeds 1–6\)$/m);
  });

  it('refuses bad arguments with exit code 2, naming the flag', async () => {
    for (const [args, message] of [
      [['--runs', '0'], /--runs must be an integer from 1 to/],
      [['--steps', 'many'], /--steps must be an integer from 0 to/],
      [['--clients', '2', '--partitions', '3'], /--partitions must be at most --clients/],
      [['--workers', '0'], /--workers must be an integer from 1 to 64/],
      [['--sed', '1'], /Unknown option '--sed'/],
    ] as const) {
      const run = await runCli(['simulate', ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});
