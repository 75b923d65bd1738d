/**
 * Waiting for everything local to be uploaded when a client reset may happen meanwhile: a wait
 * pending across a reset rejects with `clientResetReplacedUploads` (docs/SEMANTICS.md §4.7), and
 * the replayed changes are waited for again. Bounded: `attempts` waits at most.
 */
import { SyncError, type SyncSession } from '../../src/index.js';

/** Resolves once `session` has uploaded everything local, waiting again after each reset (at most `attempts` waits of `timeoutMs`). */
export async function uploadAcrossResets(session: SyncSession, attempts = 4, timeoutMs = 20_000): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await session.waitForUpload(AbortSignal.timeout(timeoutMs));
      return;
    } catch (error) {
      if (!(error instanceof SyncError) || error.code !== 'clientResetReplacedUploads' || attempt >= attempts) throw error;
    }
  }
}
