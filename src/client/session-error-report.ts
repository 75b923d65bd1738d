import type { ErrorAction, SyncErrorInfo } from '../../machines/types.js';
import type { Logger } from '../store/logger.js';
import { SyncError, type ErrorActionToken } from './errors.js';

/** Where a session's errors go: the user's `onError`, with the action's token recorded first. */
export interface ErrorReportTarget {
  readonly realmPath: string;
  readonly logger: Logger;
  readonly issueErrorActionToken: (action: ErrorAction, realmPath: string) => ErrorActionToken;
  readonly recordErrorAction?: ((token: ErrorActionToken) => void) | undefined;
  /** The user's handler; without one the error is logged. */
  readonly onError: ((error: SyncError) => void) | undefined;
}

/**
 * Hands the chart's `reportError` to the user (docs/SEMANTICS.md §5): an error with an action
 * carries a token, recorded first so the action still runs at the next start if the process
 * dies now. A throwing handler is logged; the session goes on as the chart decided.
 */
export function reportSyncError(target: ErrorReportTarget, error: SyncErrorInfo, action: ErrorAction | undefined): void {
  const token = action === undefined ? undefined : target.issueErrorActionToken(action, target.realmPath);
  if (token !== undefined) {
    try {
      target.recordErrorAction?.(token);
    } catch (recordError) {
      target.logger.warn('cannot record the error action for the next start', { path: target.realmPath, error: String(recordError) });
    }
  }
  const syncError = new SyncError(error, token);
  if (target.onError === undefined) {
    target.logger.warn('sync error', { path: target.realmPath, code: error.code, message: error.message });
    return;
  }
  try {
    target.onError(syncError);
  } catch (thrown) {
    target.logger.warn('onError threw', { error: String(thrown) });
  }
}
