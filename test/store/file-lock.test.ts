import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FileLockedError } from '../../src/index.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { eventually } from '../support/eventually.js';
import { useTempDir } from './temp-dir.js';

const tempDir = useTempDir('file-lock');
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];

// Registered before any child starts: no test leaves a writer behind, even when it fails.
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => killed(child)));
});

/** A `realm-writer.ts` child and what it printed so far. */
interface Writer {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Counters printed, each after its `write` returned. */
  readonly written: number[];
  /** The error it printed if its open was refused. */
  refused?: { name: string; message: string; path?: string; holderPid?: number };
  output: string;
  readonly exited: Promise<number | null>;
}

function startWriter(path: string, tag: string, max: number, after: 'exit' | 'hold'): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/store/fixtures/realm-writer.ts', path, tag, String(max), after], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const writer: Writer = {
    child,
    pid: child.pid!,
    written: [],
    output: '',
    exited: new Promise((resolve) => child.once('close', (code) => resolve(code))),
  };
  let partial = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    writer.output += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? ''; // an unterminated line was not fully printed: it does not count
    for (const line of lines) {
      if (line.startsWith(`${tag} `)) writer.written.push(Number(line.slice(tag.length + 1)));
      else if (line.startsWith('refused ')) writer.refused = JSON.parse(line.slice('refused '.length)) as Writer['refused'];
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (writer.output += chunk));
  return writer;
}

/** SIGKILLs `child` (if it still runs) and resolves once it is gone. */
function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** The counters of `tag` in the file, in order. */
const countersOf = (realm: RealmFile, tag: string): number[] =>
  realm
    .objects('Doc')
    .filter((o) => o.fields.tag === tag)
    .map((o) => o.fields.n as number);

const upTo = (n: number): number[] => Array.from({ length: n }, (_, k) => k + 1);

describe('a realm file has one writer: the OS lock on <realm>.lock', () => {
  it('a second process is refused with FileLockedError naming the path and pid; the first writes on, untouched', async () => {
    const path = join(tempDir(), 'shared.realm');
    const first = startWriter(path, 'first', 100_000, 'exit');
    await eventually(() => first.written.length >= 50, 'the first writer committing', 30_000);

    // The second App in another process, while the first is writing.
    const second = startWriter(path, 'second', 300, 'exit');
    const secondExit = await second.exited;

    // And this process, with the typed error.
    let refusal: unknown;
    try {
      RealmFile.open({ path }).close();
    } catch (error) {
      refusal = error;
    }

    const atRefusal = first.written.length;
    await eventually(() => first.written.length >= atRefusal + 50, 'the first writer going on', 30_000);
    await killed(first.child);
    const realm = RealmFile.open({ path });
    const kept = countersOf(realm, 'first');
    const ofSecond = countersOf(realm, 'second');
    realm.close();
    const lost = first.written.filter((n) => !kept.includes(n)).length;
    // Figures first, assertions after: without the lock this is where the loss shows.
    console.log(`first process: ${first.written.length} writes returned, ${lost} of them lost; second process: exit ${secondExit}, ${second.written.length} writes returned, ${ofSecond.length} in the file`);

    expect(secondExit, second.output).toBe(3);
    expect(second.written).toEqual([]);
    expect(second.refused).toMatchObject({ name: 'FileLockedError', path, holderPid: first.pid });
    expect(refusal).toBeInstanceOf(FileLockedError);
    expect(refusal).toMatchObject({ path, holderPid: first.pid, lockPath: `${path}.lock` });
    // Every write the first process saw return is there, in order, and nothing of the second.
    expect(lost).toBe(0);
    expect(kept.slice(0, first.written.length)).toEqual(upTo(first.written.length));
    expect(kept.length).toBeLessThanOrEqual(first.written.length + 1);
    expect(ofSecond).toEqual([]);
  }, 120_000);

  it('a holder killed with SIGKILL leaves no lock behind: the next open, at once, succeeds with its data', async () => {
    const path = join(tempDir(), 'killed.realm');
    const holder = startWriter(path, 'held', 200, 'hold');
    await eventually(() => holder.output.includes('holding'), 'the holder writing 200 and holding', 30_000);
    expect(() => RealmFile.open({ path })).toThrow(FileLockedError);
    await killed(holder.child);

    // No wait, no retry: the kernel dropped the lock with the process.
    const realm = RealmFile.open({ path });
    expect(countersOf(realm, 'held')).toEqual(upTo(200));
    realm.close();

    // Another process too, and it writes on the same file.
    const next = startWriter(path, 'next', 20, 'exit');
    expect(await next.exited, next.output).toBe(0);
    const reopened = RealmFile.open({ path });
    expect(countersOf(reopened, 'held')).toEqual(upTo(200));
    expect(countersOf(reopened, 'next')).toEqual(upTo(20));
    reopened.close();
  }, 120_000);

  it('in one process a second open is refused until the first closes; a failed open holds nothing', () => {
    const path = join(tempDir(), 'one-process.realm');
    const realm = RealmFile.open({ path });
    realm.write((tx) => tx.put('Doc', 'a', { tag: 't', n: 1 }));
    expect(() => RealmFile.open({ path })).toThrow(FileLockedError);
    expect(() => RealmFile.open({ path })).toThrow(/already open in this process/);
    // The refused opens did not disturb the holder.
    realm.write((tx) => tx.put('Doc', 'b', { tag: 't', n: 2 }));
    realm.close();
    const reopened = RealmFile.open({ path });
    expect(countersOf(reopened, 't')).toEqual([1, 2]);
    reopened.close();
  });
});
