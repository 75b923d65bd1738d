/**
 * sync-session: the client entry point. `App` logs users in, `Realm.open` opens a local file
 * and its sync session, `SyncSession` is the seeds' session API over the charts in
 * `sync-session/machines`.
 */
export type {
  ClientResetMode,
  ConnectionState,
  Direction as ProgressDirection,
  ErrorAction,
  ErrorCategory,
  ProgressMode,
  SessionState,
  StopPolicy,
  SyncProgress,
} from '../machines/types.js';
export { App } from './client/app.js';
export type { AppConfig } from './client/app-config.js';
export { Credentials } from './client/credentials.js';
export {
  InvalidActionTokenError,
  MalformedAuthResponseError,
  MAX_AUTH_TOKEN_LENGTH,
  MAX_USER_ID_LENGTH,
  ServerUnreachableError,
  SessionClosedError,
  SyncError,
  type ErrorActionToken,
} from './client/errors.js';
export { Realm, type RealmConfiguration, type RealmOpenOptions, type ProgressRealmPromise } from './client/realm.js';
/**
 * Thrown (as a rejection of `Realm.open`) when the realm file is open elsewhere: in another
 * process, or in another `App` of this one. A realm file has one writer at a time; nothing of
 * the holder was touched. Its `path` names the file, `holderPid` the holder where known.
 */
export { FileLockedError } from './store/store-errors.js';
export { Stream, type Observer, type Subscription } from './client/stream.js';
export type { ClientResetConfig, DocumentsSnapshot, SyncConfiguration } from './client/sync-config.js';
export { MAX_HEADER_SETS_PER_USER, SyncManager } from './client/sync-manager.js';
export { SyncSession, type ConnectionStateChange, type ProgressNotificationToken } from './client/sync-session.js';
export type { OpenRealmBehaviorConfiguration } from './client/open-behavior.js';
export { TimeoutError, type ConnectionNotificationCallback, type ProgressNotificationCallback } from './client/realm-js-names.js';
export { User } from './client/user.js';
export type { Transport, TransportConnectOptions, TransportHandlers, TransportSocket } from './transport/transport.js';
/** The clock port of `App({ clock })`: time and every timer of the runtime (`sync-session/testing` has a simulated one). */
export { systemClock, type Clock, type TimerHandle } from './time/clock.js';
/** The randomness port of `App({ random })`: file idents and the backoff's jitter seed. */
export { cryptoRandom, type RandomSource } from './time/random-source.js';
/** The file port of `App({ fileSystem })`: every file the runtime reads or writes (`sync-session/testing` has a simulated disk). */
export { nodeFileSystem, type FileStat, type FileSystem, type OpenFlags } from './store/file-system.js';
/** The port login and refresh requests go through (`AppConfig.authTransport`). */
export type { AuthAnswer, AuthRequest, AuthTransport } from './transport/auth-transport.js';
/** The default `AppConfig.authTransport`: `fetch`, with the request's timeout over headers and body. */
export { fetchAuthTransport } from './transport/fetch-auth-transport.js';
export { consoleLogger, silentLogger, stderrLogger, type Logger } from './store/logger.js';
export { InvalidInputError } from './store/store-errors.js';
/**
 * Thrown by a `tx.put`/`tx.delete` whose type or id is no key the protocol takes: over its
 * limit of UTF-8 bytes, or holding a NUL or a lone surrogate (PROTOCOL.md "Limits").
 */
export { InvalidKeyError } from './store/store-errors.js';
/** The key limits, in UTF-8 bytes (PROTOCOL.md "Limits"): what `InvalidKeyError` and `Realm.open` hold keys to. */
export { MAX_FILE_IDENT_BYTES, MAX_OBJECT_ID_BYTES, MAX_OBJECT_TYPE_BYTES, MAX_PARTITION_BYTES } from './protocol/limits.js';

// What a user's code names to use the API above: callbacks' parameters, the errors public
// methods throw, the types of options and of what readers return.
/** The `tx` of `realm.write((tx) => …)`: `put` and `delete`, applied together at commit. */
export type { Transaction } from './store/transaction.js';
/** A field value: JSON that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type { Json } from './protocol/json.codec.js';
/** What a `realm.addListener` listener is told after a commit, and how it names a document. */
export type { RealmChange } from './store/realm-file.js';
export type { DocumentKey } from './store/document-set.js';
/**
 * Thrown by a `tx` call made after its `write` returned, and by `write` inside a `write`'s
 * callback: nothing of the inner call was recorded.
 */
export { TransactionStateError } from './store/store-errors.js';
/**
 * `app.logIn` rejects with it when the server refuses the credentials (401 or 403, in
 * `status`), as opposed to a network failure; a refresh refused this way logs the user out.
 */
export { AuthRefusedError } from './client/auth-client.js';
/** The plain data of a `SyncError` (`new SyncError(info)`, `error.toInfo()`). */
export type { CompensatingWriteInfo, SyncErrorInfo } from '../machines/types.js';
/**
 * The type of `SyncError.code`: a code of the server's table or of the client's (README "Error
 * codes"), so a `switch` on it is checked; `isSyncErrorCode` tells either from any string.
 */
export { isSyncErrorCode, type SyncErrorCode } from './client/sync-error-code.js';
/**
 * The client's own error codes (never sent by a server), each with its category, fatality and
 * meaning: what README "Error codes" lists.
 */
export { clientErrorCodes, isClientErrorCode, type ClientErrorCode } from '../machines/client-error-codes.js';
/** The server's error codes, each with its category, fatality, retry and scope: what PROTOCOL.md "Errors" lists. */
export { errorCodes, isErrorCode, type ErrorCode } from './protocol/error-codes.js';
/** What `SyncSession.immediatelyHandleError` runs a token with: `app.syncManager`. */
export type { ErrorActionRunner } from './client/sync-session.js';
/** `App` options: `reconnect`, `keepalive` and `inspect`; `app.config` is the checked whole. */
export type { InspectObserver, ResolvedAppConfig } from './client/app-config.js';
export type { ReconnectOptions } from '../machines/backoff.js';
export type { KeepaliveOptions } from '../machines/connection.machine.js';
/**
 * Thrown by `realm.write` (and every read) on a realm whose handle was closed (`realm.close()`)
 * or whose app was closed (`app.close()`); nothing was read or written. Its `path` names the
 * file, `operation` what was asked (docs/SEMANTICS.md §9).
 */
export { RealmClosedError } from './store/store-errors.js';
