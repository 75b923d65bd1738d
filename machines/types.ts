/**
 * Vocabulary shared by the charts. Plain data only: these values cross the
 * boundary between the model (machines/) and the runtime (src/).
 */

/** Which way changesets travel: `upload` is local → server, `download` is server → local. */
export type Direction = 'upload' | 'download';

/** How long a progress notifier lives; see docs/SEMANTICS.md §3. */
export type ProgressMode = 'reportIndefinitely' | 'forCurrentlyOutstandingWork';

/** One progress report, as the seeds' `SyncProgress`. */
export interface SyncProgress {
  /** Bytes acknowledged (upload) or integrated (download), cumulative over the session. */
  readonly transferredBytes: number;
  /** Bytes known to need transfer, cumulative over the session; never below `transferredBytes`. */
  readonly transferableBytes: number;
  /** Fraction of the work done, in [0, 1]. */
  readonly progressEstimate: number;
  /**
   * Whether everything transferable is transferred (`transferredBytes >= transferableBytes`),
   * realm-js's `isTransferComplete`: true exactly when `progressEstimate` is 1.
   */
  readonly isTransferComplete: boolean;
}

/** Byte counters of one direction as the runtime measures them (before any notifier's view). */
export interface ByteCounts {
  readonly transferred: number;
  readonly transferable: number;
}

/** What the session does when the last handle on its store is closed (docs/SEMANTICS.md §1). */
export type StopPolicy = 'afterChangesUploaded' | 'immediately' | 'liveIndefinitely';

/** How a client reset is handled (docs/SEMANTICS.md §5). */
export type ClientResetMode =
  | 'manual'
  | 'discardUnsyncedChanges'
  | 'recoverUnsyncedChanges'
  | 'recoverOrDiscard';

/** The error categories of docs/SEMANTICS.md §5. */
export type ErrorCategory =
  | 'transient'
  | 'session'
  | 'connection'
  | 'auth'
  | 'permission'
  | 'clientReset'
  | 'protocol';

/** One write the server refused in a compensating write: the document, and why. */
export interface CompensatingWriteInfo {
  readonly type: string;
  readonly id: string;
  readonly reason: string;
}

/** An error as the chart sees it; the runtime turns it into a `SyncError` at the public API. */
export interface SyncErrorInfo {
  /**
   * A code of the server's table (`errorCodes`) or of the client's (`clientErrorCodes`) when the
   * runtime raised it; a string here because the charts import nothing of the runtime (where
   * the server's table lives) and their test alphabets make up codes of their own. The public
   * `SyncError.code` is the typed one.
   */
  readonly code: string;
  readonly category: ErrorCategory;
  readonly isFatal: boolean;
  readonly message: string;
  /** For `compensatingWrite`: the writes the server refused (those it listed). */
  readonly compensatingWrites?: readonly CompensatingWriteInfo[];
}

/** The action a user must take for an error, carried by the public `ErrorActionToken`. */
export type ErrorAction = 'deleteLocalFile' | 'clientResetBackup';

/** The five values of `session.state` (docs/SEMANTICS.md §1). */
export type SessionState = 'active' | 'dying' | 'inactive' | 'waitingForAccessToken' | 'paused';

/** The three values of `session.connectionState` (docs/SEMANTICS.md §2). */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected';
