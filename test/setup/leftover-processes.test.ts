import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { descendantsOf, leftovers, RUN_MARK, type ProcessInfo } from '../support/no-leftover-processes.js';

// Registered before any child starts: these tests leave nothing for the real check to find.
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const started = (child: ChildProcess): Promise<void> => new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));

describe('the end-of-run check for processes left behind', () => {
  it('walks the ppid links down from the root, grandchildren included, not the root or others', () => {
    const p = (pid: number, ppid: number): ProcessInfo => ({ pid, ppid, command: `p${pid}` });
    const all = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(20, 1), p(13, 10)];
    expect(descendantsOf(10, all).map((x) => x.pid).sort()).toEqual([11, 12, 13]);
  });

  it("finds a live child of this process by its pid and command line, and a reparented process by the run's mark", async () => {
    const mark = `check-${process.pid}-${Date.now()}`;
    // Not the run's own mark: the real teardown must not see these (they are killed in afterEach anyway).
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    children.push(child);
    // `sh` starts a background sleep and exits at once: the sleep is reparented away from us.
    const shell = spawn('sh', ['-c', 'sleep 601 >/dev/null 2>&1 & echo $!'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, [RUN_MARK]: mark } });
    children.push(shell);
    await started(child);
    const orphan = Number(await new Promise<string>((resolve) => shell.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))));
    await new Promise((resolve) => (shell.exitCode === null ? shell.once('exit', resolve) : resolve(undefined)));
    try {
      // `$!` is echoed as soon as the background child is forked: until it has exec'd `sleep`,
      // its command line reads empty (or as the shell's). Bounded: a sleep execs in milliseconds.
      await eventually(() => leftovers(process.pid, mark).some((p) => p.pid === orphan && p.command === 'sleep 601'), 'the orphan exec-ing sleep');
      const found = leftovers(process.pid, mark);
      expect(found).toContainEqual(expect.objectContaining({ pid: child.pid, command: 'sleep 600' }));
      expect(found).toContainEqual(expect.objectContaining({ pid: orphan, command: 'sleep 601' }));
      expect(leftovers(process.pid, 'another-run').map((p) => p.pid)).not.toContain(orphan);
    } finally {
      process.kill(orphan, 'SIGKILL');
    }
  });
});
