import { execFile, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** How one run of the CLI ended. */
export interface CliRun {
  /** The exit code; null when the bound below killed it (it did not end by itself). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node --import tsx src/cli.ts ...args` to its end, in its own process. A command that
 * does not end by itself (one that started serving) is killed after `boundMs` and reports code
 * null; the test's cleanup kills it too, registered before it starts.
 */
export function runCli(args: readonly string[], boundMs = 30_000): Promise<CliRun> {
  let child: ChildProcess | undefined;
  onTestFinished(() => {
    child?.kill('SIGKILL');
  });
  return new Promise((resolve) => {
    child = execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, timeout: boundMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}
