import { isClientErrorCode, type ClientErrorCode } from '../../machines/client-error-codes.js';
import type { SyncErrorInfo } from '../../machines/types.js';
import { errorCodes, isErrorCode, type ErrorCode } from '../protocol/error-codes.js';

/**
 * The code of a `SyncError`: one the server sent (`errorCodes`, PROTOCOL.md "Errors") or one the
 * client raised (`clientErrorCodes`, README "Error codes"). A server's code that this client
 * does not know never gets here as itself: the decoder refuses the frame, which reaches the
 * user as `badServerMessage` naming that code.
 */
export type SyncErrorCode = ErrorCode | ClientErrorCode;

/** True for a string that names a code of either table. */
export const isSyncErrorCode = (code: string): code is SyncErrorCode => isErrorCode(code) || isClientErrorCode(code);

/**
 * `code` when a table has it, else `unknown`. The charts carry codes as strings (their test
 * alphabets make their own); every code the runtime raises is from a table, so only a
 * `SyncError` built by hand, or by an embedder's own chart events, falls back.
 */
export const knownCode = (code: string): SyncErrorCode => (isSyncErrorCode(code) ? code : 'unknown');

/** The error of a server code the client raises itself, with that code's category and fatality. */
export const serverCodeError = (code: ErrorCode, message: string): SyncErrorInfo => ({
  code,
  category: errorCodes[code].category,
  isFatal: errorCodes[code].isFatal,
  message,
});
