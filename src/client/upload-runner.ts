import { clientError } from '../../machines/client-error-codes.js';
import type { SyncErrorInfo } from '../../machines/types.js';
import type { Changeset } from '../protocol/index.js';
import { changesetBytes, UPLOAD_ENVELOPE_BYTES } from '../protocol/index.js';
import type { RealmFile } from '../store/realm-file.js';
import type { ServerLimits } from './server-terms.js';
import type { SessionBinding } from './session-binding.js';
import { serverCodeError } from './sync-error-code.js';

/** Most changeset bytes in one UPLOAD; the server's default frame limit is far above. */
const UPLOAD_BATCH_BYTES = 1024 * 1024;

/** What one run of the upload actor works with. */
export interface UploadRun {
  readonly store: RealmFile;
  readonly binding: SessionBinding;
  /** Read at each send: an IDENT may have changed them. */
  readonly limits: ServerLimits;
  /** A changeset cannot be uploaded at all: the chart ends the session. */
  readonly fail: (error: SyncErrorInfo) => void;
}

/**
 * The body of the session chart's `upload` actor, invoked in `connection.connected.uploading`:
 * sends what the server has not acknowledged, then each durable commit once the current burst
 * of commits is over (a microtask later, so a loop of writes goes out as one UPLOAD and the
 * server integrates and fsyncs it once). The cursor is this run's: every run starts from the
 * last acknowledged changeset, so the chart leaving and re-entering `uploading` (a reconnect,
 * the server's retry delay) sends again what was unacknowledged. Returns what stops it.
 */
export function runUploads(run: UploadRun): () => void {
  const { store, binding, limits } = run;
  let sentThrough = store.cursors.upload.clientVersion;
  let scheduled = false;
  let stopped = false;

  const upload = (): void => {
    if (stopped || store.isClosed) return;
    try {
      send();
    } catch (error) {
      // A throw here would fail the whole session actor: it ends the session, as a reported error.
      stopped = true;
      run.fail(clientError('uploadFailed', `cannot upload local changes: ${String(error)}`));
    }
  };

  const send = (): void => {
    const pending = store.pendingChangesets(sentThrough);
    const budget = Math.min(UPLOAD_BATCH_BYTES, limits.maxMessageBytes - UPLOAD_ENVELOPE_BYTES);
    let batch: Changeset[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (batch.length === 0) return;
      const last = batch[batch.length - 1]!.clientVersion;
      const sent = binding.send({
        type: 'upload',
        changesets: batch,
        progress: { clientVersion: last, serverVersion: store.cursors.download.serverVersion },
      });
      if (sent) sentThrough = last;
      batch = [];
      bytes = 0;
    };
    for (const changeset of pending) {
      // Each changeset costs its bytes and a comma in the frame.
      const size = changesetBytes(changeset) + 1;
      if (size - 1 > limits.maxChangesetBytes) {
        // One written before `write` knew the limit would get the socket closed again at every
        // reconnect, starving the user's other sessions on it: it ends this session instead.
        flush();
        stopped = true;
        run.fail(
          serverCodeError(
            'messageTooBig',
            `local changeset ${changeset.clientVersion} is ${size - 1} bytes, over the server's limit of ${limits.maxChangesetBytes} bytes: it cannot be uploaded`,
          ),
        );
        return;
      }
      if (bytes + size > budget) flush();
      batch.push(changeset);
      bytes += size;
    }
    flush();
  };

  // Only durable commits are handed out (`pendingChangesets`), and a change is announced once durable.
  const stopListening = store.addListener(({ origin }) => {
    if (origin !== 'local' || scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      upload();
    });
  });
  upload();
  return () => {
    stopped = true;
    stopListening();
  };
}
