import type { ErrorCategory, SyncErrorInfo } from './types.js';

/**
 * What one client error code means for the session that raises it (docs/SEMANTICS.md §5).
 * The server's codes have their own table (`errorCodes`); these never cross the wire.
 */
export interface ClientErrorCodeInfo {
  readonly category: ErrorCategory;
  readonly isFatal: boolean;
  readonly meaning: string;
}

/**
 * Every error code the client raises itself, with its category and fatality: the charts here
 * and the runtime raise them only through {@link clientError}, so neither can disagree with
 * this table. The table lives in machines/ because the charts raise some of them and import
 * nothing from the runtime; README "Error codes" lists the same table.
 */
export const clientErrorCodes = {
  badDownload: {
    category: 'protocol',
    isFatal: true,
    meaning: "an IDENT, DOWNLOAD or STATE the realm file refuses: a cursor moving back, or one naming a changeset this file never wrote",
  },
  badServerMessage: {
    category: 'protocol',
    isFatal: true,
    meaning: "a frame from the server that is no message this client reads: malformed, or with a type, field value or error code it does not know (a newer server's); the message names what",
  },
  localStorageFailed: {
    category: 'session',
    isFatal: true,
    meaning: "the realm file could not record what the server sent for a reason of its own (the disk failed: EIO, ENOSPC, EROFS, a log that refuses writes after a failed fsync; or the file was closed), or a revived session could not reopen it",
  },
  uploadFailed: {
    category: 'session',
    isFatal: true,
    meaning: 'the local changes could not be read or sent for upload',
  },
  refreshRefused: {
    category: 'auth',
    isFatal: true,
    meaning: 'the auth server refused to refresh the access token: the user is logged out',
  },
  clientResetManual: {
    category: 'clientReset',
    isFatal: true,
    meaning: "a client reset needs the user (mode `manual`, a reset that would loop, or one whose automatic run or callback failed): the error's token moves the file to a backup",
  },
  clientResetReplacedUploads: {
    category: 'clientReset',
    isFatal: false,
    meaning: 'a client reset discarded or replayed the local changes an upload wait was for (only a wait rejects with it)',
  },
  unknown: {
    category: 'session',
    isFatal: false,
    meaning: 'an error where the chart expected none, or a `SyncError` built from a code that neither table has',
  },
} as const satisfies Record<string, ClientErrorCodeInfo>;

/** A code of {@link clientErrorCodes}: one the client raises, never sent by a server. */
export type ClientErrorCode = keyof typeof clientErrorCodes;

/** True for a string that names a client error code. */
export const isClientErrorCode = (code: string): code is ClientErrorCode => Object.hasOwn(clientErrorCodes, code);

/** The error `code` raises, with the category and fatality its table row gives it. */
export const clientError = <C extends ClientErrorCode>(code: C, message: string): SyncErrorInfo & { readonly code: C } => ({
  code,
  category: clientErrorCodes[code].category,
  isFatal: clientErrorCodes[code].isFatal,
  message,
});
