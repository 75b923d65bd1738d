/**
 * When and how to rewrite a realm file as one snapshot. The file only grows (every commit
 * appends), but the state it encodes does not have to: overwritten fields and acknowledged
 * changesets are dead bytes. Rewriting costs O(live state), so it is done only when the dead
 * bytes clearly dominate.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Logger } from './logger.js';
import { RealmState } from './realm-state.js';
import type { RecordLog } from './record-log.js';
import { InvalidInputError } from './store-errors.js';
import { decodeStoreRecord, encodeStoreRecord, type StoreRecord } from './store-records.js';

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

/** What {@link rewriteAsSnapshot} rewrites, and where it reports. */
export interface CompactedFile {
  readonly path: string;
  readonly log: RecordLog;
  readonly state: RealmState;
  readonly policy: CompactionPolicy;
  readonly logger: Logger;
  /**
   * Tombstones stamped with a wall below this (ms: now − the server's `historyRetentionMs`) that
   * the server has are left out of the snapshot (`tombstone-retention.ts`); `undefined` keeps all.
   */
  readonly tombstonesBeforeWall?: number | undefined;
}

/**
 * Rewrites `file.log` as one snapshot of `file.state` and calibrates the policy with its size;
 * returns whether it did. A snapshot that would not read back, or a rewrite that fails, is
 * logged and skipped: the file keeps its records, and compaction never fails a commit.
 * Expired tombstones (`tombstonesBeforeWall`) leave the state only once the rewrite is done,
 * so memory never holds less than the file. `reason` says who asked, for the log.
 */
export function rewriteAsSnapshot(file: CompactedFile, reason: string): boolean {
  const { path, log, state, policy, logger, tombstonesBeforeWall } = file;
  const estimated = state.estimatedSnapshotBytes;
  const before = log.sizeBytes;
  const expired = tombstonesBeforeWall === undefined ? [] : state.expiredTombstones(tombstonesBeforeWall);
  const payload = encodeStoreRecord(state.snapshot(expired));
  // Never replace a file with one that would not open: decode and check the snapshot first.
  const problem = E.fold((left: string) => left, (record: StoreRecord) => new RealmState().check(record))(decodeStoreRecord(payload));
  if (problem !== undefined) {
    logger.warn('compaction skipped: the snapshot would not read back', { path, problem });
    return false;
  }
  try {
    log.rewrite([payload]);
  } catch (error) {
    logger.warn('compaction failed; the file keeps its records', { path, error: String(error) });
    return false;
  }
  state.forget(expired);
  // Measured against the state the snapshot holds: without the tombstones it left out.
  policy.calibrate(state.estimatedSnapshotBytes, payload.length);
  logger.info('compacted realm file', { path, reason, bytesBefore: before, bytesAfter: log.sizeBytes, estimatedSnapshotBytes: estimated, droppedTombstones: expired.length });
  return true;
}
