/**
 * A realm file killed with SIGKILL at random instants while integrating `state` frames (a real
 * child process, `fixtures/state-loop.ts`) reopens with every frame it reported integrated,
 * whole, at most one more, and nothing else: no half frame, the counters of the frames it holds,
 * and a state that compaction writes out and a reopen reads back unchanged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RealmFile } from '../../src/store/realm-file.js';
import type { Durability } from '../../src/store/record-log.js';
import { DOCUMENTS_PER_FRAME, frameBytes, frameDownloadable } from './fixtures/state-frames.js';
import { RecordingLogger, useTempDir } from './temp-dir.js';

const tempDir = useTempDir('state-crash');
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const KILL_AFTER_MS = 5_000;

// Registered before any child starts: a test that ends early (a failure, a timeout) kills its child.
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

interface Run {
  /** Frames the child printed (each printed after its `integrateState` returned). */
  readonly printed: number[];
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs the state loop and SIGKILLs it once it printed `killAfter` frames, or after 5 s regardless. */
function runUntilKilled(dir: string, durability: Durability, killAfter: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/store/fixtures/state-loop.ts', dir, durability], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const printed: number[] = [];
    let partial = '';
    let stderr = '';
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const deadline = setTimeout(kill, KILL_AFTER_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? ''; // an unterminated line was not fully printed: it does not count
      for (const line of lines) printed.push(Number(line));
      if (printed.length >= killAfter) kill();
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(deadline);
      children.delete(child);
      resolve({ printed, signal, stderr });
    });
  });
}

const modes: ReadonlyArray<[Durability, number]> = [
  ['full', 3],
  ['batched', 2],
];

describe.each(modes)('state frames survive SIGKILL, %s durability (a real process)', (durability, rounds) => {
  it(`every reported frame is there, whole; never half of one; the state reads back as it was (${rounds} kills on one file)`, async () => {
    const dir = tempDir();
    const path = join(dir, 'state.realm');
    let maxPrinted = 0;
    const report: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const killAfter = 20 + Math.floor(Math.random() * 200);
      const run = await runUntilKilled(dir, durability, killAfter);
      expect(run.stderr, 'the child wrote to stderr').toBe('');
      expect(run.signal).toBe('SIGKILL');
      expect(run.printed.length).toBeGreaterThanOrEqual(1);
      maxPrinted = Math.max(maxPrinted, ...run.printed);

      const logger = new RecordingLogger();
      const realm = RealmFile.open({ path, logger });
      const max = realm.objectForPrimaryKey('Counter', 'c')?.['n'];
      if (typeof max !== 'number') throw new Error('no counter in the file');
      // Every printed frame is there; at most one more (integrated, killed before printing).
      expect(max).toBeGreaterThanOrEqual(maxPrinted);
      expect(max).toBeLessThanOrEqual(maxPrinted + 1);
      // Frames 1..max, each whole (all its documents, at their values), and none after.
      const byFrame = new Map<number, number>();
      for (const { fields } of realm.objects('F')) byFrame.set(fields['n'] as number, (byFrame.get(fields['n'] as number) ?? 0) + 1);
      expect([...byFrame.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: max }, (_, i) => i + 1));
      expect([...byFrame.values()].every((count) => count === DOCUMENTS_PER_FRAME)).toBe(true);
      expect(realm.objects('Gone')).toEqual([]);
      // The bytes of exactly those frames counted, the last one's downloadable kept; no cursor moved.
      const bytes = Array.from({ length: max }, (_, i) => frameBytes(i + 1)).reduce((a, b) => a + b, 0);
      expect(realm.progress.download).toEqual({ transferred: bytes, transferable: bytes + frameDownloadable(max) });
      expect(realm.cursors.download).toEqual({ serverVersion: 0, clientVersion: 0 });
      expect(realm.openReport.refusedRecords).toEqual([]);

      // The state as replayed is one that compaction writes out and a reopen reads back unchanged.
      const visible = realm.snapshotDocuments();
      const progress = realm.progress;
      realm.compact();
      realm.close();
      const compacted = RealmFile.open({ path });
      expect(compacted.snapshotDocuments()).toEqual(visible);
      expect(compacted.progress).toEqual(progress);
      compacted.close();
      report.push(`round ${round + 1}: killed after ${run.printed.length} printed (target ${killAfter}); file holds frames 1..${max}; recovery warnings: ${logger.warnings.length}`);
    }
    console.log(`state crash test (${durability}): ${report.join('; ')}`);
  });
});
