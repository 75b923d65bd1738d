import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RealmFile } from '../../src/store/realm-file.js';
import type { Durability } from '../../src/store/record-log.js';
import { runUntilKilled, useChildProcesses } from '../support/kill-runs.js';
import { RecordingLogger, useTempDir } from './temp-dir.js';

const tempDir = useTempDir('crash');
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const KILL_AFTER_MS = 5_000;

// Registered before any child starts: a test that ends early kills what it spawned.
const children = useChildProcesses();

interface Run {
  /** Counters the child printed (each printed after its `write` returned). */
  readonly printed: number[];
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the write loop and SIGKILLs it once it printed `killAfter` counters, or after 5 s regardless. */
async function runLoopUntilKilled(dir: string, durability: Durability, killAfter: number): Promise<Run> {
  const started = Date.now();
  const printed: number[] = [];
  const { signal, stderr } = await runUntilKilled(children, projectRoot, 'test/store/fixtures/write-loop.ts', [dir, durability], {
    line: /^(\d+)$/,
    onLine: (match) => void printed.push(Number(match[1])),
    killNow: () => printed.length >= killAfter,
    deadlineMs: KILL_AFTER_MS,
  });
  return { printed, signal, stderr, ms: Date.now() - started };
}

/**
 * 'full' is the contract under test (fdatasync before `write` returns). 'batched' is run too: a
 * process kill (not a power loss) must lose nothing in either mode, since the bytes are in the
 * kernel once `write` returns; its fsyncs never even run here, the loop never yields.
 */
const modes: ReadonlyArray<[Durability, number]> = [
  ['full', 3],
  ['batched', 2],
];

describe.each(modes)('crash safety, %s durability (a real process killed with SIGKILL)', (durability, rounds) => {
  it(`every printed transaction survives, whole; never half of one (${rounds} kills on one file)`, async () => {
    const dir = tempDir();
    const allPrinted: number[] = [];
    const report: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const killAfter = 50 + Math.floor(Math.random() * 250);
      const run = await runLoopUntilKilled(dir, durability, killAfter);
      expect(run.stderr, 'the child wrote to stderr').toBe('');
      expect(run.signal).toBe('SIGKILL');
      expect(run.printed.length).toBeGreaterThanOrEqual(1);
      allPrinted.push(...run.printed);

      const logger = new RecordingLogger();
      const realm = RealmFile.open({ path: join(dir, 'crash.realm'), logger });
      const counters = (type: string): number[] => realm.objects(type).map((o) => o.fields.counter as number);
      const [a, b, c] = [counters('A'), counters('B'), counters('C')];
      // No half transaction: the three documents of a counter are all there or none is.
      expect(b).toEqual(a);
      expect(c).toEqual(a);
      // The file is a prefix of the commits: 1..max, nothing missing in between.
      const max = a.length;
      expect(a).toEqual(Array.from({ length: max }, (_, i) => i + 1));
      // Every printed counter is there; at most one more (committed, killed before printing).
      const maxPrinted = Math.max(...allPrinted);
      expect(max).toBeGreaterThanOrEqual(maxPrinted);
      expect(max).toBeLessThanOrEqual(maxPrinted + 1);
      // Each transaction is one client version; earlier rounds added two probe transactions each.
      expect(realm.clientVersion).toBe(max + 2 * round);
      // The file reopens cleanly and takes writes again (probes use another type than the counters).
      realm.write((tx) => tx.put('Probe', `round-${round}`, { max }));
      realm.write((tx) => tx.delete('Probe', `round-${round}`));
      realm.close();
      report.push(
        `round ${round + 1}: killed after ${run.printed.length} printed (target ${killAfter}) in ${run.ms} ms; file holds 1..${max}; ` +
          `recovery warnings: ${logger.warnings.length}`,
      );
    }
    console.log(`crash test (${durability}): ${report.join('; ')}`);
  });
});
