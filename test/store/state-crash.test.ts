/**
 * A realm file killed with SIGKILL at random instants while integrating `state` frames (a real
 * child process, `fixtures/state-loop.ts`) reopens with every frame it reported integrated,
 * whole, at most one more, and nothing else: no half frame, the counters of the frames it holds,
 * and a state that compaction writes out and a reopen reads back unchanged.
 *
 * `state` documents are staged until the DOWNLOAD that ends their batch: readers see none of
 * them before it. So the child confirms every `FRAMES_PER_DOWNLOAD` frames with an empty
 * DOWNLOAD whose cursor is the last frame's number (increasing: the cursor never moves back),
 * and the kill lands as often between an `integrateState` and the DOWNLOAD after it as
 * anywhere else. What a reopen must then hold: frames 1..c visible (c, the download cursor, is
 * the last confirming DOWNLOAD, every reported one included), frames c+1..max staged, each of
 * them whole (`stagedDocument`, every document at its value), nothing of frame max+1 — and
 * compaction keeps both parts, the staged one as staged.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RealmFile } from '../../src/store/realm-file.js';
import type { Durability } from '../../src/store/record-log.js';
import type { DocumentState } from '../../src/store/document-state.js';
import { DOCUMENTS_PER_FRAME, FRAMES_PER_DOWNLOAD, PAD, frameBytes, frameDocumentId, frameDownloadable, goneId } from './fixtures/state-frames.js';
import { runUntilKilled, useChildProcesses } from '../support/kill-runs.js';
import { RecordingLogger, useTempDir } from './temp-dir.js';

const tempDir = useTempDir('state-crash');
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const KILL_AFTER_MS = 5_000;

// Registered before any child starts: a test that ends early kills what it spawned.
const children = useChildProcesses();

interface Run {
  /** Frames the child printed as staged (each printed after its `integrateState` returned). */
  readonly staged: number[];
  /** Frames the child printed as confirmed (each printed after the `integrateDownload` ending its batch returned). */
  readonly confirmed: number[];
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs the state loop and SIGKILLs it once it printed `killAfter` staged frames, or after 5 s regardless. */
async function runLoopUntilKilled(dir: string, durability: Durability, killAfter: number): Promise<Run> {
  const staged: number[] = [];
  const confirmed: number[] = [];
  const { signal, stderr } = await runUntilKilled(children, projectRoot, 'test/store/fixtures/state-loop.ts', [dir, durability], {
    line: /^([sc]) (\d+)$/,
    onLine: (match) => void (match[1] === 's' ? staged : confirmed).push(Number(match[2])),
    killNow: () => staged.length >= killAfter,
    deadlineMs: KILL_AFTER_MS,
  });
  return { staged, confirmed, signal, stderr };
}

/** The staged state of every document of frames `from..to` (by type and id, undefined where none is staged). */
function stagedFrames(realm: RealmFile, from: number, to: number): Array<[string, DocumentState | undefined]> {
  const out: Array<[string, DocumentState | undefined]> = [];
  for (let n = from; n <= to; n++) {
    for (let k = 0; k < DOCUMENTS_PER_FRAME; k++) out.push([`F/${frameDocumentId(n, k)}`, realm.stagedDocument('F', frameDocumentId(n, k))]);
    out.push([`Gone/${goneId(n)}`, realm.stagedDocument('Gone', goneId(n))]);
  }
  out.push(['Counter/c', realm.stagedDocument('Counter', 'c')]);
  return out;
}

const modes: ReadonlyArray<[Durability, number]> = [
  ['full', 3],
  ['batched', 2],
];

describe.each(modes)('state frames survive SIGKILL, %s durability (a real process)', (durability, rounds) => {
  it(`every reported frame is there, whole, staged or confirmed; never half of one; the state reads back as it was (${rounds} kills on one file)`, async () => {
    const dir = tempDir();
    const path = join(dir, 'state.realm');
    let maxStaged = 0;
    let maxConfirmed = 0;
    const report: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const killAfter = 20 + Math.floor(Math.random() * 200);
      const run = await runLoopUntilKilled(dir, durability, killAfter);
      expect(run.stderr, 'the child wrote to stderr').toBe('');
      expect(run.signal).toBe('SIGKILL');
      expect(run.staged.length).toBeGreaterThanOrEqual(1);
      maxStaged = Math.max(maxStaged, ...run.staged);
      maxConfirmed = Math.max(maxConfirmed, ...run.confirmed);

      const logger = new RecordingLogger();
      const realm = RealmFile.open({ path, logger });
      expect(realm.openReport.refusedRecords).toEqual([]);
      // c: the last confirming DOWNLOAD in the file; frames after it are staged, the staged counter names the last.
      const confirmed = realm.cursors.download.serverVersion;
      const visibleCounter = realm.objectForPrimaryKey('Counter', 'c')?.['n'];
      const stagedCounter = realm.stagedDocument('Counter', 'c')?.fields['n']?.value;
      expect(visibleCounter, 'the visible counter is the last confirmed frame').toBe(confirmed === 0 ? undefined : confirmed);
      expect(realm.bootstrapping, 'staged frames wait, or none').toBe(stagedCounter !== undefined);
      const max = typeof stagedCounter === 'number' ? stagedCounter : confirmed;
      if (stagedCounter !== undefined) expect(stagedCounter).toBeGreaterThan(confirmed);

      // Every printed frame is there; at most one more (integrated, killed before printing).
      expect(max).toBeGreaterThanOrEqual(maxStaged);
      expect(max).toBeLessThanOrEqual(maxStaged + 1);
      // Every printed confirmation is there; at most one more. The DOWNLOAD follows its batch's last frame:
      // c is the last batch end at or before max (or the one before it, when killed between that frame and its DOWNLOAD).
      expect(confirmed % FRAMES_PER_DOWNLOAD).toBe(0);
      expect(confirmed).toBeGreaterThanOrEqual(maxConfirmed);
      expect(confirmed).toBeLessThanOrEqual(maxConfirmed + FRAMES_PER_DOWNLOAD);
      const lastBatchEnd = max - (max % FRAMES_PER_DOWNLOAD);
      expect(confirmed === lastBatchEnd || (max === lastBatchEnd && confirmed === max - FRAMES_PER_DOWNLOAD), `confirmed ${confirmed} for frames 1..${max}`).toBe(true);
      expect(realm.cursors.download).toEqual({ serverVersion: confirmed, clientVersion: 0 });

      // Visible: frames 1..c, each whole (all its documents, at their values), and none after.
      const byFrame = new Map<number, number>();
      for (const { fields } of realm.objects('F')) {
        expect(fields['pad']).toBe(PAD);
        byFrame.set(fields['n'] as number, (byFrame.get(fields['n'] as number) ?? 0) + 1);
      }
      expect([...byFrame.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: confirmed }, (_, i) => i + 1));
      expect([...byFrame.values()].every((count) => count === DOCUMENTS_PER_FRAME)).toBe(true);
      expect(realm.objects('Gone')).toEqual([]);
      // Staged: frames c+1..max, each whole; nothing of frame max+1 (no half frame), nothing left of frame c (it merged).
      for (let n = confirmed + 1; n <= max; n++) {
        for (let k = 0; k < DOCUMENTS_PER_FRAME; k++) {
          const doc = realm.stagedDocument('F', frameDocumentId(n, k));
          expect(doc?.fields['n']?.value, `frame ${n} document ${k} staged`).toBe(n);
          expect(doc?.fields['pad']?.value).toBe(PAD);
          expect(realm.objectForPrimaryKey('F', frameDocumentId(n, k)), 'a staged document is not visible').toBeUndefined();
        }
        expect(realm.stagedDocument('Gone', goneId(n))?.tombstone).toEqual({ wall: n, counter: 1, origin: 'srv', opIndex: 0 });
      }
      for (const n of [confirmed, max + 1]) {
        for (let k = 0; k < DOCUMENTS_PER_FRAME; k++) expect(realm.stagedDocument('F', frameDocumentId(n, k)), `frame ${n} document ${k} not staged`).toBeUndefined();
        expect(realm.stagedDocument('Gone', goneId(n))).toBeUndefined();
      }
      expect(realm.objectForPrimaryKey('F', frameDocumentId(max + 1, 0))).toBeUndefined();
      // The bytes of exactly those frames counted (staged ones included), the last one's downloadable kept.
      const bytes = Array.from({ length: max }, (_, i) => frameBytes(i + 1)).reduce((a, b) => a + b, 0);
      expect(realm.progress.download).toEqual({ transferred: bytes, transferable: bytes + frameDownloadable(max) });

      // The state as replayed is one that compaction writes out and a reopen reads back unchanged: the staged part still staged.
      const visible = realm.snapshotDocuments();
      const progress = realm.progress;
      const cursors = realm.cursors;
      const staged = stagedFrames(realm, Math.max(1, confirmed), max + 1);
      realm.compact();
      realm.close();
      const compacted = RealmFile.open({ path });
      expect(compacted.snapshotDocuments()).toEqual(visible);
      expect(compacted.progress).toEqual(progress);
      expect(compacted.cursors).toEqual(cursors);
      expect(compacted.bootstrapping).toBe(max > confirmed);
      expect(stagedFrames(compacted, Math.max(1, confirmed), max + 1)).toEqual(staged);
      compacted.close();
      report.push(
        `round ${round + 1}: killed after ${run.staged.length} staged / ${run.confirmed.length} confirmed printed (target ${killAfter}); file holds frames 1..${max}, 1..${confirmed} confirmed, ${max - confirmed} staged; recovery warnings: ${logger.warnings.length}`,
      );
    }
    console.log(`state crash test (${durability}): ${report.join('; ')}`);
  });
});
