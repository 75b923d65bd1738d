import type { SessionEvent, SessionInput } from './session.types.js';
import type { SyncErrorInfo } from './types.js';

/** Configurations worth exploring: every stop policy, a manual and an automatic client reset, both wait policies. */
export const sessionInputs: readonly SessionInput[] = (['afterChangesUploaded', 'immediately', 'liveIndefinitely'] as const).flatMap(
  (stopPolicy) =>
    (['manual', 'recoverOrDiscard'] as const).flatMap((clientResetMode) =>
      [false, true].map((cancelWaitsOnNonFatalError) => ({ stopPolicy, clientResetMode, cancelWaitsOnNonFatalError })),
    ),
);

const testError = (category: SyncErrorInfo['category'], isFatal: boolean): SyncErrorInfo => ({
  code: `test.${category}`,
  category,
  isFatal,
  message: `a ${category} error`,
});

/**
 * The session's alphabet: every event type it accepts, with payloads that reach both outcomes
 * of each guard (an expired and a valid token; pending and complete uploads; new, known and
 * unknown ids; each error category that steers the chart).
 */
export const sessionEvents: readonly SessionEvent[] = [
  { type: 'store.opened', tokenExpired: false },
  { type: 'store.opened', tokenExpired: true },
  { type: 'store.closed' },
  { type: 'pause' },
  { type: 'resume', tokenExpired: false },
  { type: 'resume', tokenExpired: true },
  { type: 'user.loggedIn', tokenExpired: false },
  { type: 'user.loggedIn', tokenExpired: true },
  { type: 'user.loggedOut' },
  { type: 'error', error: testError('auth', false) },
  { type: 'error', error: testError('clientReset', true) },
  { type: 'error', error: testError('permission', true) },
  { type: 'error', error: testError('session', false) },
  { type: 'error', error: testError('connection', false) },
  { type: 'error', error: { code: 'clockSkew', category: 'session', isFatal: false, message: 'a stamp ahead of the server' }, backoffMs: 250 },
  { type: 'connection.connecting' },
  { type: 'connection.open' },
  { type: 'connection.lost' },
  { type: 'server.ident' },
  { type: 'progress', direction: 'upload', transferred: 0, transferable: 100 },
  { type: 'progress', direction: 'upload', transferred: 100, transferable: 100 },
  { type: 'progress', direction: 'download', transferred: 0, transferable: 100 },
  { type: 'wait', id: 'u1', direction: 'upload' },
  { type: 'wait', id: 'd1', direction: 'download' },
  { type: 'wait.abort', id: 'u1', reason: 'aborted by test' },
  { type: 'mark.reply', requestId: 'd1' },
  { type: 'notifier.add', id: 'n1', direction: 'upload', mode: 'reportIndefinitely' },
  { type: 'notifier.remove', id: 'n1' },
  { type: 'server.download', downloadableBytes: 100 },
  { type: 'server.download', downloadableBytes: 0 },
  { type: 'reconnect' },
  { type: 'xstate.done.actor.wait:u1', actorId: 'wait:u1' },
  { type: 'xstate.done.actor.wait:d1', actorId: 'wait:d1' },
  { type: 'xstate.done.actor.progress:n1', actorId: 'progress:n1' },
  { type: 'xstate.done.actor.refreshAccessToken', actorId: 'refreshAccessToken' },
  { type: 'xstate.error.actor.refreshAccessToken', error: { refused: true, message: 'refused by test' } },
  { type: 'xstate.error.actor.refreshAccessToken', error: { refused: false, message: 'offline' } },
  { type: 'xstate.done.actor.clientReset', actorId: 'clientReset' },
  { type: 'xstate.error.actor.clientReset', error: new Error('onBefore threw') },
  { type: 'xstate.done.actor.clientResetAfter', actorId: 'clientResetAfter' },
  { type: 'xstate.error.actor.clientResetAfter', error: new Error('onAfter threw') },
];

