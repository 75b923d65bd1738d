import { describe, expect, it } from 'vitest';
import { describeFailure, shrink, simulate, type SimModel } from '../../src/testing/index.js';

describe('the deterministic simulation of the whole system', () => {
  it('one seed gives the same run, step for step: the same trace and digest twice, and another seed another', async () => {
    const a = await simulate({ seed: 42, steps: 80, keepTrace: true });
    const b = await simulate({ seed: 42, steps: 80, keepTrace: true });
    const c = await simulate({ seed: 43, steps: 80 });
    console.log(`seed 42: digest ${a.digest}, ${a.stats.steps} steps, ${a.stats.timersFired} timers, ${a.stats.framesToServer} frames to the server; seed 43: ${c.digest}`);
    expect(a.ok, describeFailure(a)).toBe(true);
    expect(b.trace).toEqual(a.trace);
    expect(b.digest).toBe(a.digest);
    expect(c.digest).not.toBe(a.digest);
    // The trace is the run's: every step is in it, and the clients' states after it.
    expect(a.trace!.length).toBeGreaterThan(80);
    expect(a.trace!.some((line) => /^\d+ write client=\d/.test(line))).toBe(true);
  });

  it('a broken invariant fails the run at that step, shrinks to a short schedule, and says how to replay it', async () => {
    // Your own invariant, deliberately wrong: "nobody ever writes f0 of d0".
    const model: SimModel = {
      check: (realm) => (realm.objectForPrimaryKey('Doc', 'd0')?.['f0'] !== undefined ? 'd0.f0 was written' : undefined),
    };
    let failed: Awaited<ReturnType<typeof simulate>> | undefined;
    for (let seed = 1; seed <= 50 && failed === undefined; seed++) {
      const result = await simulate({ seed, steps: 100, model });
      if (!result.ok) failed = result;
    }
    expect(failed, 'some schedule of 50 writes d0.f0').toBeDefined();
    const shrunk = await shrink(failed!, { steps: 100, model });
    const text = describeFailure(failed!, shrunk);
    console.log(text);
    expect(failed!.violations[0]!.message).toMatch(/your invariant: d0\.f0 was written/);
    expect(shrunk.ok).toBe(false);
    expect(shrunk.steps.length).toBeLessThan(failed!.steps.length);
    // The shortest schedule that writes d0.f0 is that write alone.
    expect(shrunk.steps).toEqual([expect.objectContaining({ kind: 'write', doc: 0, field: 0 })]);
    expect(text).toContain(`seed ${failed!.seed}`);
    expect(text).toContain(`npx sync-session simulate --seed ${failed!.seed} --runs 1 --steps 100`);
    const replayed = await simulate({ seed: failed!.seed, steps: 100, model });
    expect(replayed.digest).toBe(failed!.digest);
  });

  it('refuses bad options by name', async () => {
    await expect(simulate({ seed: 1.5 })).rejects.toThrow(/simulate: seed must be an integer/);
    await expect(simulate({ seed: 1, clients: 0 })).rejects.toThrow(/simulate: clients must be an integer from 1 to 16/);
    await expect(simulate({ seed: 1, clients: 2, partitions: 3 })).rejects.toThrow(/simulate: partitions must be an integer from 1 to 2/);
    await expect(simulate({ seed: 1, faults: { lightning: true } as never })).rejects.toThrow(/simulate: unknown fault lightning/);
    await expect(simulate({ seed: 1, model: { chekc: () => undefined } as never })).rejects.toThrow(/simulate: unknown option model\.chekc/);
    await expect(simulate({ seed: 1, steps: -1 })).rejects.toThrow(/simulate: steps must be an integer/);
    await expect(simulate({ seed: 2 ** 32 - 1 })).rejects.toThrow(/simulate: seed must be an integer from -2147483648 to 2147483647/);
    await expect(simulate({ seed: 1, faults: 5 as never })).rejects.toThrow(/simulate: faults must be an object/);
    // A replayed schedule is input too: every step checked before anything runs (a NaN or an
    // infinite elapse would fire self-renewing timers without end).
    const bad: Array<[unknown, RegExp]> = [
      ['steps', /schedule must be an array/],
      [[{ kind: 'elapse', ms: Number.NaN }], /schedule\[0\]\.ms must be an integer from 0 to 3600000, got NaN/],
      [[{ kind: 'elapse', ms: Number.POSITIVE_INFINITY }], /schedule\[0\]\.ms must be an integer/],
      [[{ kind: 'elapse', ms: 1e9 }], /schedule\[0\]\.ms must be an integer from 0 to 3600000/],
      [[{ kind: 'write', client: 0, doc: 0, field: 0 }, { kind: 'write', client: -1, doc: 0, field: 0 }], /schedule\[1\]\.client must be an integer from 0 to 2, got -1/],
      [[{ kind: 'write', client: 3, doc: 0, field: 0 }], /schedule\[0\]\.client must be an integer from 0 to 2, got 3/],
      [[{ kind: 'lightning' }], /schedule\[0\]\.kind must be one of write, delete/],
      [[{ kind: 'flaky', refuseChance: 2 }], /schedule\[0\]\.refuseChance must be a number from 0 to 1/],
      [[{ kind: 'crashServer', insideCalls: 0 }], /schedule\[0\]\.insideCalls must be an integer from 1 to 1000/],
      [[{ kind: 'pause', client: 0, extra: 1 }], /schedule\[0\] \(pause\) has no field extra/],
      [[null], /schedule\[0\] must be a step object/],
      // eslint-disable-next-line no-sparse-arrays
      [[{ kind: 'pause', client: 0 }, , { kind: 'pause', client: 0 }], /schedule\[1\] must be a step object/],
    ];
    for (const [schedule, message] of bad) await expect(simulate({ seed: 1, schedule: schedule as never })).rejects.toThrow(message);
  });
});
