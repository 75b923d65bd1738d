import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A TypeScript entry point of this project running in its own process, to be signalled for real. */
export interface TsxProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Its exit code (null when a signal ended it), once it ended. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` (SIGKILL by default) and waits until the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `node --import tsx ...args` from the project folder and resolves once `ready(output)`
 * holds; rejects if the process ends first or is not ready within `timeoutMs`.
 */
export function startTsxProcess(args: readonly string[], ready: (output: string) => boolean, timeoutMs = 20_000): Promise<TsxProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running: TsxProcess = {
    child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} was not ready within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const heard = (data: Buffer): void => {
      output += data.toString();
      if (!ready(output)) return;
      clearTimeout(timer);
      resolve(running);
    };
    child.stdout!.on('data', heard);
    child.stderr!.on('data', heard);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code} before it was ready:\n${output}`));
    });
  });
}
