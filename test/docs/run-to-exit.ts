/** Runs a user's compiled program with plain `node` until it exits by itself. */
import { spawn, type ChildProcess } from 'node:child_process';

/** How a program ended: its exit code (null if killed), and what it printed. */
export interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Whether the bound ran out and the program was killed: it did not exit by itself. */
  readonly killed: boolean;
}

/**
 * Runs `node script` in `cwd` and resolves when it exits. A program still running after
 * `boundMs` is killed (`killed: true`): the bound is a guard against a hang, not a measurement.
 * `track` gets the child before it starts doing anything, so that the caller's cleanup (registered
 * beforehand) can kill it if the test ends early.
 */
export function runToExit(script: string, cwd: string, boundMs: number, track: (child: ChildProcess) => void): Promise<Exit> {
  const child = spawn(process.execPath, [script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, boundMs);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, killed });
    });
  });
}
