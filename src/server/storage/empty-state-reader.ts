/**
 * The read of a state that has no document changed after the cursor, in any backend: nothing
 * to open, one empty last batch.
 */
import type { StateBatch, StateReader } from './server-storage.js';

/** A {@link StateReader} of nothing, at state version `stateVersion`. */
export class EmptyStateReader implements StateReader {
  readonly totalBytes = 0;
  constructor(readonly stateVersion: number) {}
  next(): Promise<StateBatch> {
    return Promise.resolve({ documentJson: [], remainingBytes: 0, done: true });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
