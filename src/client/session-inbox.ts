import type { SessionEvent } from '../../machines/session.types.js';
import type { ServerMessage } from '../protocol/index.js';
import type { RealmFile } from '../store/realm-file.js';
import { integrationError } from './integration-error.js';
import type { ServerTerms } from './server-terms.js';

/** What a server message on a session's binding reaches. */
export interface SessionInbox {
  readonly file: RealmFile | undefined;
  readonly terms: ServerTerms;
  readonly toChart: (event: SessionEvent) => void;
  /** The chart hears the file's counts (after a DOWNLOAD or a STATE moved them). */
  readonly reportProgress: () => void;
  /** The server took the session again: an error action recorded before no longer applies. */
  readonly serverAccepted: () => void;
}

/**
 * Empties the pending changesets `from` through `through` the server refused (a compensating
 * write) and puts their documents back to the server's state. Asked of the pending ones only,
 * so a hostile range costs what is pending, not what it names.
 */
function revertRefused(file: RealmFile, from: number, through: number): boolean {
  if (through < from) return false;
  const versions = file.pendingChangesets(Math.max(0, from - 1)).map((c) => c.clientVersion).filter((v) => v <= through);
  // The refused bytes count as transferred now: progress hears of it.
  return file.compensate(versions).length > 0;
}

/**
 * What one server message for a session does: the I/O on the file (epoch, integration,
 * acknowledgement), then one event for the chart, which decides what follows. Nothing is read
 * back from the chart here.
 */
export function receive(message: ServerMessage, inbox: SessionInbox): void {
  const { file, toChart } = inbox;
  switch (message.type) {
    case 'ident':
      try {
        if (file !== undefined && file.cursors.epoch !== message.epoch) file.setEpoch(message.epoch);
      } catch (error) {
        // A disk failing as the epoch is recorded: thrown from here it would escape the socket's
        // message handler and end the app's process. As for a download the file cannot take.
        toChart({ type: 'error', error: integrationError(error, `cannot record the server's epoch: ${String(error)}`) });
        return;
      }
      inbox.terms.learn(message);
      if (file !== undefined) inbox.terms.applyTo(file);
      inbox.serverAccepted();
      toChart({ type: 'server.ident' });
      return;
    case 'download':
      if (file === undefined) return;
      try {
        file.integrateDownload(message.changesets, message.cursors, message.downloadableBytes);
        if (message.uploadAck > file.cursors.upload.clientVersion) file.acknowledgeUpload(message.uploadAck);
      } catch (error) {
        toChart({ type: 'error', error: integrationError(error, String(error)) });
        return;
      }
      inbox.reportProgress();
      toChart({ type: 'server.download', downloadableBytes: message.downloadableBytes });
      return;
    case 'state':
      // Documents of the server's state, merged; no cursor moves, so the chart hears only the
      // bytes: the DOWNLOAD that ends the batch is what it waits for (a reset's fresh state).
      if (file === undefined) return;
      try {
        file.integrateState(message.documents, message.downloadableBytes);
      } catch (error) {
        toChart({ type: 'error', error: integrationError(error, String(error)) });
        return;
      }
      inbox.reportProgress();
      return;
    case 'mark':
      toChart({ type: 'mark.reply', requestId: message.requestId });
      return;
    case 'error':
      if (message.compensatingWrite !== undefined && message.code === 'compensatingWrite') {
        // The file reverts before the chart hears of it: the upload it restarts then sends the
        // refused versions emptied, and `onError` finds the server's state in the file.
        try {
          if (file !== undefined && revertRefused(file, message.compensatingWrite.from, message.compensatingWrite.through)) inbox.reportProgress();
        } catch (error) {
          toChart({ type: 'error', error: integrationError(error, `cannot revert the refused writes: ${String(error)}`) });
          return;
        }
      }
      toChart({
        type: 'error',
        error: {
          code: message.code,
          category: message.category,
          isFatal: message.isFatal,
          message: message.message,
          // Only a compensating write names refused writes: the field on another code is no word of the server's.
          ...(message.compensatingWrite === undefined || message.code !== 'compensatingWrite' ? {} : { compensatingWrites: message.compensatingWrite.writes }),
        },
        ...(message.backoffMs === undefined ? {} : { backoffMs: message.backoffMs }),
      });
      return;
    default:
      return;
  }
}
