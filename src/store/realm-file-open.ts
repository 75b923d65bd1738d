/**
 * Opening a realm file: the options checked, the lock taken, the records read and replayed
 * (each checked against the state before it), a new file given its ident; and if anything fails
 * after the lock was taken, the log closed and the lock let go, so a failed open holds nothing.
 */
import * as E from 'fp-ts/lib/Either.js';
import { CompactionPolicy } from './compaction.js';
import { newFileIdent } from './file-ident.js';
import { acquireFileLock, lockPathOfFile, type FileLock } from './file-lock.js';
import { tick } from './hlc.js';
import { silentLogger, type Logger } from './logger.js';
import { RealmState } from './realm-state.js';
import { openRecordLog, type Durability, type RecordLog, type RefusedRecord } from './record-log.js';
import { InvalidInputError } from './store-errors.js';
import { decodeStoreRecord, encodeStoreRecord, STORE_FORMAT, type StoreRecord } from './store-records.js';
import { cryptoRandom, type RandomSource } from '../time/random-source.js';
import { nodeFileSystem, type FileSystem } from './file-system.js';

/** Options of `RealmFile.open`. */
export interface RealmFileOptions {
  /** The file; created with its directory if missing. */
  path: string;
  /** When a commit is on stable storage (see {@link Durability}). Default `full`. */
  durability?: Durability;
  /** Recovery, compaction and listener failures are reported here. Default: silent. */
  logger?: Logger;
  /** The physical clock in ms (HLC input); injectable for tests. Default `Date.now`. */
  now?: () => number;
  /** Where a new file ident comes from (at creation and at each client reset). Default `crypto.randomBytes`. */
  random?: RandomSource;
  /** The file port (`file-system.ts`): the real file system by default, a simulated disk in a simulation. */
  fileSystem?: FileSystem;
  /** See `DEFAULT_COMPACTION_FACTOR` in `compaction.ts`. Default 4. */
  compactionFactor?: number;
  /**
   * If the file does not exist, create it at the first commit that is synced, or at `close`,
   * not at open (see `RecordLogOptions.createLazily`). The sync runtime opens files this way:
   * a session that binds and never writes (thousands on one socket) costs no file creation
   * until it closes. Default false.
   */
  createLazily?: boolean;
}

/**
 * What opening a realm file found beyond its records: a torn or corrupt tail cut off, whole
 * records whose content was refused (left out, the records after them kept), and local
 * changesets read with a new stamp because the one they were written with was past the safe
 * integers (written by a clock before the HLC had bounds; see `decodeStoreRecord`).
 */
export interface RealmOpenReport {
  readonly truncatedBytes: number;
  readonly refusedRecords: readonly RefusedRecord[];
  readonly restampedChangesets: number;
}

/** What an open realm file is made of: its log (lock held), the state its records replay to, and its options. */
export interface OpenedRealm {
  readonly path: string;
  readonly fileIdent: string;
  readonly log: RecordLog;
  readonly state: RealmState;
  readonly logger: Logger;
  readonly now: () => number;
  readonly random: RandomSource;
  readonly compactionFactor: number | undefined;
  readonly openReport: RealmOpenReport;
  readonly lock: FileLock;
}

/**
 * Opens (or creates) the realm file of `options` (`RealmFile.open` says what is reported and
 * thrown) and hands what it is made of to `make`. If `make` throws, the log is closed and the
 * lock let go before the exception propagates.
 */
export function openRealm<R>(options: RealmFileOptions, make: (opened: OpenedRealm) => R): R {
  if (typeof options !== 'object' || options === null) throw new InvalidInputError('RealmFile.open needs an options object');
  const { path, durability, now = Date.now, random = cryptoRandom, fileSystem = nodeFileSystem, compactionFactor } = options;
  const logger = options.logger ?? silentLogger;
  if (typeof path !== 'string' || path.length === 0) throw new InvalidInputError('RealmFile.open: path must be a non-empty string');
  if (typeof now !== 'function') throw new InvalidInputError('RealmFile.open: now must be a function returning milliseconds');
  if (typeof random !== 'function') throw new InvalidInputError('RealmFile.open: random must be a function (n) => n random bytes');
  // Checked before the file is touched, so a bad option never leaves a file behind.
  new CompactionPolicy(compactionFactor);

  // Before the log is opened: opening reads the file and may cut its tail or remove the
  // scratch file of a rewrite, which are the holder's to do.
  const lock = acquireFileLock(fileSystem, path, lockPathOfFile(path));
  const state = new RealmState();
  let restampedChangesets = 0;
  // A stamp past the safe integers is read as the file's next reading (see `decodeStoreRecord`).
  const restamp = () => {
    restampedChangesets++;
    return tick(state.hlc, 0);
  };
  let opened: ReturnType<typeof openRecordLog>;
  try {
    opened = openRecordLog(path, {
      ...(durability === undefined ? {} : { durability }),
      createLazily: options.createLazily === true,
      fileSystem,
      logger,
      // Every record stands on its own, checked against the state before it: one refused must
      // not take the commits after it (docs/SEMANTICS.md §7.4: nothing acknowledged is lost).
      refusedRecords: 'skip',
      decode: (payload: Buffer) => E.chain((record: StoreRecord) => state.replay(record))(decodeStoreRecord(payload, restamp)),
    });
  } catch (error) {
    lock.release();
    throw error;
  }
  const { log, recovered, refused } = opened;
  const openReport: RealmOpenReport = Object.freeze({ truncatedBytes: recovered.truncatedBytes, refusedRecords: Object.freeze([...refused]), restampedChangesets });
  if (restampedChangesets > 0) {
    logger.warn('realm file: local changesets stamped past the safe integers (before the HLC had bounds) were read with new stamps', { path, restampedChangesets });
  }
  try {
    let fileIdent = state.fileIdent;
    if (fileIdent === undefined) {
      fileIdent = newFileIdent(random);
      const header: StoreRecord = { kind: 'header', format: STORE_FORMAT, fileIdent };
      // Not synced on its own: a header lost to power failure before anything else in the
      // file was synced leaves a file that opens as new (another ident); nothing written to
      // it was reported durable, and the first commit that is syncs the header with it.
      log.appendLazily([encodeStoreRecord(header)]);
      state.apply(header);
      logger.info('created realm file', { path: log.path, fileIdent });
    }
    return make({ path, fileIdent, log, state, logger, now, random, compactionFactor, openReport, lock });
  } catch (error) {
    try {
      log.close();
    } finally {
      lock.release();
    }
    throw error;
  }
}
