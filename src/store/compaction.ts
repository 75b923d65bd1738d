/**
 * When to rewrite a realm file as one snapshot. The file only grows (every commit appends), but
 * the state it encodes does not have to: overwritten fields and acknowledged changesets are dead
 * bytes. Rewriting costs O(live state), so it is done only when the dead bytes clearly dominate.
 */
import { InvalidInputError } from './store-errors.js';

/**
 * Compact when the file is this many times the size of a fresh snapshot. With factor k, the file
 * never holds more than about k× the live data, and each rewrite of S live bytes is paid for by at
 * least (k−1)·S appended bytes: with 4, at most ~33% extra write traffic and 4× disk space. A
 * lower factor trades more rewrites for less space; below ~2 rewrites start to dominate writes.
 */
export const DEFAULT_COMPACTION_FACTOR = 4;

/** Files smaller than this are never compacted: a rewrite (two fsyncs and a rename) is not worth 64 KiB. */
export const COMPACTION_MIN_FILE_BYTES = 64 * 1024;

/**
 * The compaction decision, fed with the file size and a running estimate of the snapshot size
 * (`RealmState.estimatedSnapshotBytes`). The estimate is calibrated against the real snapshot
 * size at each compaction, so a systematic error in it (long non-ASCII strings, unusual stamps)
 * does not make compaction fire too early or never.
 */
export class CompactionPolicy {
  private calibration = 1;

  /** @param factor see {@link DEFAULT_COMPACTION_FACTOR}; must be a finite number above 1. */
  constructor(readonly factor: number = DEFAULT_COMPACTION_FACTOR) {
    if (!Number.isFinite(factor) || factor <= 1) throw new InvalidInputError(`compactionFactor must be a finite number above 1, not ${factor}`);
  }

  /** Whether a file of `fileBytes` holding a state estimated at `estimatedSnapshotBytes` should be rewritten. */
  shouldCompact(fileBytes: number, estimatedSnapshotBytes: number): boolean {
    return fileBytes > COMPACTION_MIN_FILE_BYTES && fileBytes > this.factor * estimatedSnapshotBytes * this.calibration;
  }

  /** Records how far the estimate was from the snapshot actually written. */
  calibrate(estimatedSnapshotBytes: number, actualSnapshotBytes: number): void {
    if (estimatedSnapshotBytes <= 0 || actualSnapshotBytes <= 0) return;
    // Bounded, so one odd snapshot cannot switch compaction off or on for good.
    this.calibration = Math.min(4, Math.max(0.25, actualSnapshotBytes / estimatedSnapshotBytes));
  }
}
