import { clientError } from '../../machines/client-error-codes.js';
import type { SyncErrorInfo } from '../../machines/types.js';
import { CursorRegressionError, InvalidInputError } from '../store/store-errors.js';

/**
 * What a realm file's throw while it records a server message (`setEpoch`, `integrateDownload`,
 * `acknowledgeUpload`, `integrateState`) is. The store refuses input it cannot take with these
 * two types only, and the codecs have already checked every shape, so either one means the
 * server's message is wrong: a `protocol` error. Anything else is this client's own file, which
 * no server can fix: `localStorageFailed` (a `RecordLogError`, an fs error with
 * `EIO`/`ENOSPC`/`EROFS`, a log that refuses writes after a failed fsync, a file closed under
 * the message).
 */
export function integrationError(error: unknown, message: string): SyncErrorInfo {
  const refused = error instanceof CursorRegressionError || error instanceof InvalidInputError;
  return clientError(refused ? 'badDownload' : 'localStorageFailed', message);
}
