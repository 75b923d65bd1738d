import type { ErrorCategory } from '../../machines/types.js';

/** What one error code means for the session that receives it (docs/SEMANTICS.md §5). */
export interface ErrorCodeInfo {
  readonly category: ErrorCategory;
  readonly isFatal: boolean;
  /** Whether the client should try again (after backoff, or after refreshing its token). */
  readonly tryAgain: boolean;
  /** `socket`: the frame cannot be tied to a session, so the server closes the socket after it. */
  readonly scope: 'socket' | 'session';
  readonly meaning: string;
}

/** Every error code the server sends, with its category. PROTOCOL.md lists the same table. */
export const errorCodes = {
  badJson: { category: 'protocol', isFatal: true, tryAgain: false, scope: 'socket', meaning: 'a frame that is not UTF-8 JSON' },
  unknownMessage: { category: 'protocol', isFatal: true, tryAgain: false, scope: 'socket', meaning: 'a JSON frame whose `type` is no client message' },
  badMessage: { category: 'protocol', isFatal: true, tryAgain: false, scope: 'session', meaning: 'a known message with a missing or wrong field' },
  messageTooBig: { category: 'protocol', isFatal: true, tryAgain: false, scope: 'socket', meaning: 'a frame over the server\'s maxMessageBytes' },
  unknownSession: { category: 'protocol', isFatal: true, tryAgain: false, scope: 'session', meaning: 'a message for a session not bound on this socket' },
  sessionInUse: { category: 'protocol', isFatal: true, tryAgain: false, scope: 'session', meaning: 'BIND for a session number already bound on this socket' },
  notIdentified: { category: 'protocol', isFatal: true, tryAgain: false, scope: 'session', meaning: 'UPLOAD or MARK before IDENT' },
  badCursor: { category: 'protocol', isFatal: true, tryAgain: false, scope: 'session', meaning: 'a cursor or version that moves back or past what exists' },
  badChangeset: { category: 'session', isFatal: false, tryAgain: false, scope: 'session', meaning: 'one changeset refused (wrong origin, a gap in client versions, or a type or id that is no key: PROTOCOL.md "Limits"); the rest of the session goes on' },
  clockSkew: { category: 'session', isFatal: false, tryAgain: false, scope: 'session', meaning: 'one changeset refused: its HLC wall runs more than the server\'s maxClockSkewMs ahead of the server\'s clock, or its counter is beyond 2^32 − 1; the rest of the session goes on' },
  tokenExpired: { category: 'auth', isFatal: false, tryAgain: true, scope: 'session', meaning: 'the access token expired: refresh it and BIND again' },
  badToken: { category: 'auth', isFatal: false, tryAgain: true, scope: 'session', meaning: 'a missing, malformed or forged access token' },
  compensatingWrite: { category: 'session', isFatal: false, tryAgain: false, scope: 'session', meaning: 'writes refused because the user may only read this partition: the answer names the client versions refused (`compensatingWrite.from` through `.through`) and the documents they wrote; the client puts those documents back to the server\'s state and sends the versions again empty; the session goes on' },
  permissionDenied: { category: 'permission', isFatal: true, tryAgain: false, scope: 'session', meaning: 'the user may not read this partition (at BIND, or lowered to none since), or the file belongs to another user' },
  clientReset: { category: 'clientReset', isFatal: true, tryAgain: false, scope: 'session', meaning: 'the partition\'s history was reset: the client\'s cursors belong to an older epoch' },
  clientFileExpired: { category: 'clientReset', isFatal: true, tryAgain: false, scope: 'session', meaning: 'the client\'s download cursor is older than a tombstone the server dropped after `historyRetentionMs`: it cannot be caught up safely and must reset' },
  serverShuttingDown: { category: 'connection', isFatal: false, tryAgain: true, scope: 'socket', meaning: 'the server is going away; reconnect with backoff' },
  storageUnavailable: { category: 'connection', isFatal: false, tryAgain: true, scope: 'socket', meaning: 'the server node cannot reach its storage (the database it lost); reconnect with backoff, to another node where there are several' },
  internalError: { category: 'connection', isFatal: false, tryAgain: true, scope: 'session', meaning: 'the server failed to store or read history; try again later' },
  tooManySessions: { category: 'session', isFatal: false, tryAgain: true, scope: 'session', meaning: 'BIND on a socket that already has the server\'s maxSessionsPerSocket sessions; the session is not bound' },
  tooManySockets: { category: 'session', isFatal: false, tryAgain: true, scope: 'session', meaning: 'BIND that would give its user more than the server\'s maxSocketsPerUser sockets; the session is not bound' },
  tooManyFrames: { category: 'connection', isFatal: false, tryAgain: true, scope: 'socket', meaning: 'more frames per second than the server\'s maxFramesPerSecond; reconnect with backoff' },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A code of `errorCodes`. */
export type ErrorCode = keyof typeof errorCodes;

/** True for a string that names an error code. */
export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(errorCodes, code);
