/**
 * A process that closed its realms ends by itself once nothing is left to upload, without
 * `app.close()`: the shared socket's linger (30 s by default) and everything else of the runtime
 * stop holding it. While a session still has something to upload, or a realm is open, the
 * process stays. Each app is a real child process against a real server on 127.0.0.1 here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/index.js';
import { eventually, Harness } from './harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const children = new Set<ChildProcess>();
let h: Harness | undefined;
// Registered before any child starts: none outlives its test.
afterEach(async () => {
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
    }),
  );
  children.clear();
  await h?.close();
  h = undefined;
});

type Mode = 'write' | 'no-write' | 'write-on-signal' | 'keep-open';

interface Child {
  readonly child: ChildProcess;
  output(): string;
  /** Its exit code once it ended (null for a signal). */
  readonly exited: Promise<number | null>;
}

function start(server: Harness, mode: Mode): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/fixtures/exit-after-close.ts', server.server.url, join(server.dir, mode), mode], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** The line starting with `word` the child printed, once it printed it (startup under tsx is slow). */
async function printed(child: Child, word: string): Promise<string[]> {
  const line = () => child.output().split('\n').find((l) => l.startsWith(`${word} `));
  await eventually(() => line() !== undefined || child.child.exitCode !== null, `the child to print "${word}"`, 30_000);
  if (line() === undefined) throw new Error(`the child ended before printing "${word}":\n${child.output()}`);
  return line()!.split(' ').slice(1);
}

/** Its exit code if it ends within `ms`, else `'running'`; a bound on the wait, far under the 30 s linger. */
async function exitWithin(child: Child, ms: number): Promise<number | null | 'running'> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), ms)));
  try {
    return await Promise.race([child.exited, bound]);
  } finally {
    clearTimeout(timer);
  }
}

const running = (child: Child) => child.child.exitCode === null && child.child.signalCode === null;

/** Whether the server has the note `id` of partition `exit`: a fresh client downloads it. */
async function serverHas(server: Harness, id: string): Promise<boolean> {
  const { realm } = await server.client('exit');
  await realm.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
  return realm.objectForPrimaryKey('Note', id) !== undefined;
}

describe('the process ends by itself once nothing is left to sync', () => {
  it('a write, then realm.close() without app.close(): the process uploads and exits with 0 long before the linger ends', async () => {
    h = await new Harness().start();
    const child = start(h, 'write');
    const [userId] = await printed(child, 'closed');
    expect(await exitWithin(child, 10_000), child.output()).toBe(0);
    expect(await serverHas(h, `write-${userId}`)).toBe(true);
  }, 90_000);

  it('a dying session holds the process while the server is down; once it is back, the write uploads and the process exits', async () => {
    h = await new Harness().start();
    const port = h.server.port;
    const child = start(h, 'write-on-signal');
    const [userId] = await printed(child, 'connected');
    await h.server.close();
    child.child.kill('SIGUSR2');
    const [, state] = await printed(child, 'closed');
    expect(state).toBe('dying');
    // The server is down, so the write cannot upload: the process must not end.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(running(child), child.output()).toBe(true);
    h.server = await startServer({ dataDir: join(h.dir, 'server'), port });
    expect(await exitWithin(child, 10_000), child.output()).toBe(0);
    expect(await serverHas(h, `write-on-signal-${userId}`)).toBe(true);
  }, 90_000);

  it('Realm.open, then realm.close() with no writes, on an open socket: the process exits with 0', async () => {
    h = await new Harness().start();
    const child = start(h, 'no-write');
    await printed(child, 'closed');
    expect(await exitWithin(child, 10_000), child.output()).toBe(0);
  }, 90_000);

  it('a realm kept open holds the process', async () => {
    h = await new Harness().start();
    const child = start(h, 'keep-open');
    await printed(child, 'open');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(running(child), child.output()).toBe(true);
  }, 90_000);
});
