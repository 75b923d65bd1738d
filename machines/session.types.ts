/** The session chart's input, memory and events: the contract between the chart and the runtime. */
import type { ByteCounts, ClientResetMode, ConnectionState, Direction, ErrorAction, ProgressMode, StopPolicy, SyncErrorInfo } from './types.js';

/**
 * Who a session is, for inspectors: the chart never reads it, it only carries it so that every
 * snapshot says which realm file, user and partition it belongs to.
 */
export interface SessionLabel {
  readonly realmPath: string;
  readonly userId: string;
  readonly partition: string;
}

/** Configuration a session actor starts with (the `sync` options that shape its chart). */
export interface SessionInput {
  readonly label?: SessionLabel;
  readonly stopPolicy?: StopPolicy;
  readonly clientResetMode?: ClientResetMode;
  readonly cancelWaitsOnNonFatalError?: boolean;
  /** Pause before retrying an access-token refresh that failed for a network reason. */
  readonly refreshRetryDelayMs?: number;
}

/** The session's memory. Children are listed by their public id, with their direction. */
export interface SessionContext {
  /** Descriptive only (see `SessionLabel`); absent when the runtime gave none. */
  readonly label?: SessionLabel;
  readonly stopPolicy: StopPolicy;
  readonly clientResetMode: ClientResetMode;
  readonly cancelWaitsOnNonFatalError: boolean;
  readonly refreshRetryDelayMs: number;
  /** Whether a handle on the store is open; decides where a closed or refreshed session goes. */
  readonly storeOpen: boolean;
  readonly upload: ByteCounts;
  readonly download: ByteCounts;
  readonly waiters: Readonly<Record<string, Direction>>;
  readonly notifiers: Readonly<Record<string, Direction>>;
  /** A client reset ran and the server has not yet accepted the fresh state. */
  readonly resetUnacknowledged: boolean;
  /** A client reset rewrote the file and its end (`onAfter`, after the server's fresh state) has not started yet. */
  readonly resetEndDue: boolean;
  /** How long uploads pause after the server asked to retry them (`connection.connected.retryingUploads`). */
  readonly uploadRetryDelayMs: number;
}

/** Facts the runtime attaches to an activation: is the user's access token already expired? */
export interface Activation {
  readonly tokenExpired: boolean;
}

/**
 * Every event a session accepts. The runtime turns each outside happening (API call, store
 * event, socket message) into exactly one of these.
 */
export type SessionEvent =
  | ({ readonly type: 'store.opened' } & Activation)
  | { readonly type: 'store.closed' }
  | { readonly type: 'pause' }
  | ({ readonly type: 'resume' } & Activation)
  | ({ readonly type: 'user.loggedIn' } & Activation)
  | { readonly type: 'user.loggedOut' }
  /** `backoffMs`: how long the server asked the client to wait before sending again, if it named it. */
  | { readonly type: 'error'; readonly error: SyncErrorInfo; readonly backoffMs?: number }
  | { readonly type: 'connection.connecting' }
  | { readonly type: 'connection.open' }
  | { readonly type: 'connection.lost' }
  | { readonly type: 'server.ident' }
  | ({ readonly type: 'progress'; readonly direction: Direction } & ByteCounts)
  | { readonly type: 'wait'; readonly id: string; readonly direction: Direction }
  | { readonly type: 'wait.abort'; readonly id: string; readonly reason: unknown }
  | { readonly type: 'mark.reply'; readonly requestId: string }
  | { readonly type: 'notifier.add'; readonly id: string; readonly direction: Direction; readonly mode: ProgressMode }
  | { readonly type: 'notifier.remove'; readonly id: string }
  /** A DOWNLOAD was integrated (its counts came as `progress` first); `downloadableBytes` is what the server still has. */
  | { readonly type: 'server.download'; readonly downloadableBytes: number }
  /** The user asked to skip the reconnect delay (`session.reconnect()`). */
  | { readonly type: 'reconnect' }
  | { readonly type: `xstate.done.actor.${string}`; readonly actorId: string; readonly output?: unknown }
  | { readonly type: `xstate.error.actor.${string}`; readonly error: unknown };

/** Parameters of `reportError`: hand the error (and the action the user must take) to `onError`. */
export interface ReportErrorParams {
  readonly error: SyncErrorInfo;
  readonly action?: ErrorAction;
}

/** Why a refresh failed, as the `refreshAccessToken` actor rejects: refused (401/403) or not. */
export interface RefreshFailure {
  readonly refused: boolean;
  readonly message?: string;
}


/** What the session chart emits: `connectionState` changed (the runtime's `connectionStateChanges`). */
export interface ConnectionStateChanged {
  readonly type: 'connectionState.changed';
  readonly previous: ConnectionState;
  readonly current: ConnectionState;
}
