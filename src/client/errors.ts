import type { ErrorAction, ErrorCategory, SyncErrorInfo } from '../../machines/types.js';

/** What the user must do about an error, and the means to do it now (SEMANTICS.md §5). */
export interface ErrorActionToken {
  readonly action: ErrorAction;
  /** The store file the action applies to. */
  readonly realmPath: string;
}

/**
 * An error the sync session hands to `onError` and with which waits reject. `category` says
 * what happened to the session; `isFatal` whether it stopped syncing.
 */
export class SyncError extends Error {
  override readonly name = 'SyncError';
  readonly code: string;
  readonly category: ErrorCategory;
  readonly isFatal: boolean;
  readonly actionToken: ErrorActionToken | undefined;

  constructor(info: SyncErrorInfo, actionToken?: ErrorActionToken) {
    super(info.message);
    this.code = info.code;
    this.category = info.category;
    this.isFatal = info.isFatal;
    this.actionToken = actionToken;
  }

  /** The plain data the charts use. */
  toInfo(): SyncErrorInfo {
    return { code: this.code, category: this.category, isFatal: this.isFatal, message: this.message };
  }
}

/** A wait rejected because its session ended: logout, or the store closed and the session went inactive. */
export class SessionClosedError extends Error {
  override readonly name = 'SessionClosedError';

  constructor(message = 'the sync session was closed before the wait was over') {
    super(message);
  }
}
