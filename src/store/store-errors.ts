/**
 * The errors the store throws at its API. Inside, failures are values (`Either`); these classes
 * are what a caller sees, each naming one kind of mistake so that it can be told apart with
 * `instanceof` without parsing messages.
 */

/** Base class of every error thrown by `src/store`. */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
}

/** An argument the store cannot accept: an empty type or id, a field value that is not JSON, a version out of range. */
export class InvalidInputError extends StoreError {
  override readonly name: string = 'InvalidInputError';
}

/**
 * A document type or id the protocol does not take as a key (`keyProblem`): empty, longer than
 * its limit of UTF-8 bytes (`MAX_OBJECT_TYPE_BYTES`, `MAX_OBJECT_ID_BYTES`), or holding a NUL
 * or a lone surrogate. Thrown by the `tx` call that named it, so nothing of it was recorded and
 * no server ever refuses it later. An `InvalidInputError`, as every bad argument is.
 */
export class InvalidKeyError extends InvalidInputError {
  override readonly name: string = 'InvalidKeyError';

  /**
   * @param key which key was refused
   * @param message what is wrong with it, and where
   */
  constructor(
    readonly key: 'type' | 'id',
    message: string,
  ) {
    super(message);
  }
}

/** An operation on a realm file or record log after `close()`. */
export class ClosedError extends StoreError {
  override readonly name: string = 'ClosedError';
}

/**
 * A realm used after it was closed: its handle (`realm.close()`), or its file (`app.close()`
 * closes every file of the app under handles still held). Nothing was read or written. A
 * `ClosedError`, so code that catches the store's closed error catches this one too.
 */
export class RealmClosedError extends ClosedError {
  override readonly name: string = 'RealmClosedError';

  /**
   * @param path the realm file that is closed
   * @param operation the method that was called (`write`, `objects`, …)
   */
  constructor(
    readonly path: string,
    readonly operation: string,
  ) {
    super(`cannot call ${operation}() on the realm at ${path}: it is closed`);
  }
}

/** A call that is not allowed at this point of a transaction: a write inside a write, a transaction used after it ended. */
export class TransactionStateError extends StoreError {
  override readonly name: string = 'TransactionStateError';
}

/** A sync cursor that would move back (docs/SEMANTICS.md §7.4: cursors are monotonic; the runtime reports it as a `protocol` error). */
export class CursorRegressionError extends StoreError {
  override readonly name: string = 'CursorRegressionError';
}

/** A file that is not a record log (wrong magic): never repaired, never overwritten. */
export class NotARecordLogError extends StoreError {
  override readonly name: string = 'NotARecordLogError';
}

/**
 * An I/O failure of a record log. After a failed fsync the log refuses further writes: what the
 * kernel kept of the failed write is unknown, so the only safe way on is to reopen and recover.
 */
export class RecordLogError extends StoreError {
  override readonly name: string = 'RecordLogError';
}

/**
 * A realm file or a server data directory that another open holds: another process, or another
 * `RealmFile`/`App`/server in this one. Files are single-writer; nothing of the holder was read
 * or touched. The holder's OS lock goes with it (a killed holder included), after which an open
 * succeeds.
 */
export class FileLockedError extends StoreError {
  override readonly name: string = 'FileLockedError';

  /**
   * @param path the realm file or data directory that is in use
   * @param lockPath the lock file beside it that the holder has locked
   * @param holderPid the holder's process id as it wrote it into the lock file, if readable
   */
  constructor(
    readonly path: string,
    readonly lockPath: string,
    readonly holderPid: number | undefined,
  ) {
    const holder = holderPid === undefined ? 'another process' : holderPid === process.pid ? `this process (pid ${holderPid})` : `process ${holderPid}`;
    super(`${path} is already open in ${holder}: it has one writer at a time (lock ${lockPath})`);
  }
}
