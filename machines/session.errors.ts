import { assertEvent } from 'xstate';
import type { ReportErrorParams, RefreshFailure, SessionEvent } from './session.types.js';
import { clientError } from './client-error-codes.js';
import type { SyncErrorInfo } from './types.js';

/** Reads the rejection of the `refreshAccessToken` actor, whatever it threw. */
export const refreshFailure = (error: unknown): RefreshFailure =>
  typeof error === 'object' && error !== null && 'refused' in error
    ? { refused: (error as { refused: unknown }).refused === true, message: String((error as { message?: unknown }).message ?? '') }
    : { refused: false, message: String(error) };

/** The auth error reported when the server refuses to refresh the access token. */
export const refreshRefusedError = (message: string): SyncErrorInfo =>
  clientError('refreshRefused', message === '' ? 'the server refused to refresh the access token' : message);

/** The error reported when a client reset cannot run on its own and needs the user. */
export const manualResetError = (message: string): SyncErrorInfo => clientError('clientResetManual', message);

/** The error an `error` event carries (a placeholder for any other event). */
export const errorOf = (event: SessionEvent): SyncErrorInfo =>
  event.type === 'error'
    ? event.error
    : clientError('unknown', `unexpected ${event.type}`);

/** What `reportError` receives for `error`: permission errors carry the delete-the-file action. */
export const reportParams = (error: SyncErrorInfo): ReportErrorParams =>
  error.category === 'permission' ? { error, action: 'deleteLocalFile' } : { error };

/** What `reportError` receives for the `error` event it runs on (it throws on any other event). */
export const errorEventParams = ({ event }: { event: SessionEvent }): ReportErrorParams => {
  assertEvent(event, 'error');
  return reportParams(event.error);
};

/** What `reportError` receives when a client reset needs the user. */
export const manualResetParams = ({ event }: { event: SessionEvent }): ReportErrorParams => ({
  error: manualResetError(`client reset needs the user: ${errorOf(event).message}`),
  action: 'clientResetBackup',
});

/** The message of a client reset whose automatic run failed. */
export const failedResetMessage = 'the client reset failed and needs the user';

/** What `reportError` receives when the automatic run of a client reset (or its end) failed. */
export const failedResetParams = (): ReportErrorParams => ({
  error: manualResetError(failedResetMessage),
  action: 'clientResetBackup',
});

/** The error that fails pending waits when `event` takes the session to `inactive`, if any. */
export function failureOf(event: SessionEvent): SyncErrorInfo | undefined {
  if (event.type === 'error') return event.error.category === 'clientReset' ? manualResetParams({ event }).error : event.error;
  if (event.type === 'xstate.error.actor.refreshAccessToken') {
    return refreshRefusedError(refreshFailure(event.error).message ?? '');
  }
  if (event.type === 'xstate.error.actor.clientReset' || event.type === 'xstate.error.actor.clientResetAfter') return manualResetError(failedResetMessage);
  return undefined;
}


/** What fails an upload wait whose changes a client reset discarded or replayed. */
export const resetReplacedUploads: SyncErrorInfo = clientError(
  'clientResetReplacedUploads',
  'a client reset replaced the local changes this wait was for; wait again for the replayed ones',
);
