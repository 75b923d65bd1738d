/**
 * The local store: the durable realm file (`RealmFile`), the record log under it (also the
 * server's history storage), and the convergence rules (HLC, stamps, document states).
 */
export { RealmFile, type RealmChange, type RealmCursors, type RealmFileOptions, type RealmListener, type RealmOpenReport, type RealmProgress } from './realm-file.js';
export type { ClientResetMode, ClientResetResult } from './client-reset.js';
export type { Transaction } from './transaction.js';
export { openRecordLog, type Durability, type OpenedRecordLog, type RecordDecoder, type RecordLog, type RecordLogOptions, type RefusedRecord } from './record-log.js';
export { consoleLogger, silentLogger, stderrLogger, type Logger } from './logger.js';
export {
  ClosedError,
  CursorRegressionError,
  FileLockedError,
  InvalidInputError,
  NotARecordLogError,
  RealmClosedError,
  RecordLogError,
  StoreError,
  TransactionStateError,
} from './store-errors.js';
export { compareHlc, HLC_MAX, HLC_ZERO, MAX_HLC_COUNTER, MAX_HLC_WALL, maxHlc, receive, tick, type Hlc } from './hlc.js';
export { compareStamps, stampOf, type Stamp } from './stamp.js';
export { applyDelete, applyOperation, applyPut, EMPTY_DOCUMENT, isVisible, visibleFields, type DocumentState, type FieldState } from './document-state.js';
export { DocumentSet, type DocumentKey, type VisibleObject } from './document-set.js';
export { COMPACTION_MIN_FILE_BYTES, DEFAULT_COMPACTION_FACTOR } from './compaction.js';
export { crc32 } from './crc32.js';
