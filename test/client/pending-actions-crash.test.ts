/**
 * `pending-error-actions.json` is a path that writes, so it is killed inside: SIGKILL of a real
 * child at random instants while it records and forgets actions, and power loss (the simulated
 * disk of `sync-session/testing`) at every disk call of one save and of an action's run. A
 * save is whole or not there: the list reads back as the one before it or the one it wrote,
 * never half of one, and once a save returned, power loss does not undo it. An action that ran
 * (a deletion, a move to its backup) stays done across power loss.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PendingActions, runErrorAction } from '../../src/client/pending-actions.js';
import { makeDirectoryDurably } from '../../src/store/durable-fs.js';
import { nodeFileSystem } from '../../src/store/file-system.js';
import { SeededRandom, SimDisk } from '../../src/testing/index.js';
import { runUntilKilled, useChildProcesses, useKillRuns } from '../support/kill-runs.js';
import { actionsAfter } from './fixtures/pending-actions-script.js';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const runs = useKillRuns('pending-actions-crash');
const children = useChildProcesses();

/** Runs the loop on `storageDir` and SIGKILLs it once it reported `killAfter` saves (or after 10 s); resolves the last save it reported. */
async function runLoopUntilKilled(storageDir: string, killAfter: number): Promise<{ saved: number; signal: NodeJS.Signals | null; stderr: string }> {
  let saved = 0;
  const { signal, stderr } = await runUntilKilled(children, projectRoot, 'test/client/fixtures/pending-actions-loop.ts', [storageDir], {
    line: /^s (\d+)$/,
    onLine: (match) => (saved = Number(match[1])),
    killNow: () => saved >= killAfter,
    deadlineMs: 10_000,
  });
  return { saved, signal, stderr };
}

describe('pending-error-actions.json under crashes', () => {
  it('SIGKILL at random instants of a real process: the list reads back as the last reported save or the one after it', { timeout: 60_000 }, async () => {
    const report: string[] = [];
    for (let round = 0; round < 4; round++) {
      const storageDir = join(runs.root, `kill-${round}`);
      const killAfter = 5 + Math.floor(runs.uniform() * 300);
      const run = await runLoopUntilKilled(storageDir, killAfter);
      expect(run.stderr).toBe('');
      expect(run.signal).toBe('SIGKILL');
      const found = new PendingActions(storageDir, nodeFileSystem).list();
      const matches = [run.saved, run.saved + 1].filter((n) => JSON.stringify(actionsAfter(storageDir, n)) === JSON.stringify(found));
      expect(matches.length, `after save ${run.saved}: ${JSON.stringify(found)}`).toBeGreaterThan(0);
      report.push(`killed after save ${run.saved}: read back as save ${matches[0]} (${found.length} actions)`);
    }
    console.log(`pending actions SIGKILL (CRASH_SEED=${runs.seed}):\n  ${report.join('\n  ')}`);
  });

  it('power loss at every disk call of a save: the old list or the new one, and the new one once the save returned', () => {
    const dir = '/storage';
    const before = actionsAfter(dir, 3);
    const after = actionsAfter(dir, 4);
    let calls = 0;
    let sawOld = 0;
    let sawNew = 0;
    for (let at = 1; ; at++) {
      const disk = new SimDisk('client', new SeededRandom(at));
      const setUp = new PendingActions(dir, disk.mount());
      for (const action of before) setUp.add(action);
      // A new run of the machine's process, which reads the list from the disk.
      const fs = disk.mount();
      const actions = new PendingActions(dir, fs);
      expect(actions.list()).toEqual(before);
      let crashed = false;
      disk.armCrash(at, () => {
        crashed = true;
        disk.crash();
      });
      try {
        const removed = before.find((b) => !after.some((a) => a.realmPath === b.realmPath));
        if (removed !== undefined) actions.remove(removed.realmPath);
        for (const added of after.filter((a) => !before.some((b) => b.realmPath === a.realmPath))) actions.add(added);
      } catch {
        expect(crashed).toBe(true);
      }
      disk.disarm();
      // The save returned: the power goes now, and the list must stay the new one.
      if (!crashed) disk.crash();
      const read = new PendingActions(dir, disk.mount()).list();
      if (crashed) {
        expect([JSON.stringify(before), JSON.stringify(after)]).toContain(JSON.stringify(read));
        if (JSON.stringify(read) === JSON.stringify(before)) sawOld++;
        else sawNew++;
      } else {
        expect(read).toEqual(after);
        calls = at - 1;
        break;
      }
      expect(at).toBeLessThan(100);
    }
    console.log(`pending actions power loss: a save is ${calls} disk calls; a loss inside it left the old list ${sawOld} times, the new one ${sawNew} times`);
    expect(calls).toBeGreaterThan(2);
  });

  it('power loss once an action ran: a deleted file stays deleted, a moved one stays at its backup', () => {
    for (const action of ['deleteLocalFile', 'clientResetBackup'] as const) {
      const disk = new SimDisk('client', new SeededRandom(3));
      const fs = disk.mount();
      makeDirectoryDurably(fs, '/storage/user');
      const realmPath = '/storage/user/p.realm';
      fs.writeFileSync(realmPath, 'the user data', { mode: 0o600 });
      const dataFd = fs.openSync(realmPath, 'r+');
      fs.fsyncSync(dataFd);
      fs.closeSync(dataFd);
      const dirFd = fs.openSync('/storage/user', 'r');
      fs.fsyncSync(dirFd);
      fs.closeSync(dirFd);
      const backup = runErrorAction(fs, action, realmPath, () => Date.UTC(2026, 11, 3));
      disk.crash();
      const after = disk.mount();
      expect(after.existsSync(realmPath)).toBe(false);
      if (action === 'clientResetBackup') expect(after.readFileSync(backup!, 'utf8')).toBe('the user data');
    }
  });
});
