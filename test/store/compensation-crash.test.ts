/**
 * A realm file killed with SIGKILL at random instants while it takes compensating writes among
 * local writes, other files' changesets, acknowledgements and automatic compactions (a real
 * child process, `fixtures/compensation-loop.ts`) reopens as the deterministic run stood after
 * the last operation it reported, or after the one it was in: never with a compensation half
 * applied (a document reverted while its changeset kept its operations, or the reverse), and
 * never without one it reported done.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RealmFile } from '../../src/store/realm-file.js';
import { runUntilKilled, useChildProcesses, useKillRuns } from '../support/kill-runs.js';
import { runOperation, scriptOptions } from './fixtures/compensation-script.js';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const KILL_AFTER_MS = 10_000;
const runs = useKillRuns('compensation-crash');
const children = useChildProcesses();

interface Run {
  readonly operations: number;
  readonly compensations: number;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs the loop on `dir` and SIGKILLs it once it reported `killAfter` operations (or after 10 s). */
async function runLoopUntilKilled(dir: string, durability: 'full' | 'batched', killAfter: number): Promise<Run> {
  let operations = 0;
  let compensations = 0;
  const { signal, stderr } = await runUntilKilled(children, projectRoot, 'test/store/fixtures/compensation-loop.ts', [dir, durability], {
    line: /^([ok]) (\d+)$/,
    onLine: (match) => {
      if (match[1] === 'o') operations = Number(match[2]);
      else compensations++;
    },
    killNow: () => operations >= killAfter,
    deadlineMs: KILL_AFTER_MS,
  });
  return { operations, compensations, signal, stderr };
}

/** Everything a reopen must agree on. */
const observe = (realm: RealmFile) => ({
  ident: realm.fileIdent,
  version: realm.clientVersion,
  cursors: realm.cursors,
  docs: realm.objects('Doc'),
  pending: realm.pendingChangesets(0),
});

describe.each(['full', 'batched'] as const)('compensating writes survive SIGKILL, %s durability (a real process)', (durability) => {
  it('the file reopens as the run stood after the last reported operation or the one it was in; a reported compensation is there, whole', { timeout: 90_000 }, async () => {
    const report: string[] = [];
    for (let round = 0; round < 3; round++) {
      const dir = join(runs.root, `${durability}-${round}`);
      const killAfter = 40 + Math.floor(runs.uniform() * 700);
      const run = await runLoopUntilKilled(dir, durability, killAfter);
      expect(run.stderr, 'the child wrote to stderr').toBe('');
      expect(run.signal).toBe('SIGKILL');
      expect(run.compensations).toBeGreaterThan(0);

      const reopened = RealmFile.open(scriptOptions(join(dir, 'c.realm'), durability));
      const found = observe(reopened);
      reopened.close();
      // The reference: the same operations in a fresh file, in this process.
      const reference = RealmFile.open(scriptOptions(join(dir, 'reference.realm'), 'full'));
      let matched: number | undefined;
      try {
        for (let n = 1; n <= run.operations + 1 && matched === undefined; n++) {
          runOperation(reference, n);
          if (n >= run.operations && JSON.stringify(observe(reference)) === JSON.stringify(found)) matched = n;
        }
      } finally {
        reference.close();
      }
      expect(matched, `the reopened file is the run after operation ${run.operations} or ${run.operations + 1}`).toBeDefined();
      report.push(`killed after ${run.operations} operations (${run.compensations} compensations): reopened as after ${matched}, ${found.pending.length} pending, ${found.docs.length} documents`);
    }
    console.log(`compensation crash, ${durability} (CRASH_SEED=${runs.seed}):\n  ${report.join('\n  ')}`);
  });
});
