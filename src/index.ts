/**
 * sync-session: the client entry point. The session runtime (App, Realm, SyncSession) lands
 * on top of the charts in `sync-session/machines`; until then this exports the vocabulary and
 * the error classes its API is built on.
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
export { SessionClosedError, SyncError, type ErrorActionToken } from './client/errors.js';
