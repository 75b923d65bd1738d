/**
 * The read of a state that has no document changed after the cursor, in any backend: nothing
 * to open, one empty last batch.
 */
import type { StateBatch, StateReader } from './server-storage.js';

/** A {@link StateReader} of nothing, at state version `stateVersion` of `epoch`. */
export class EmptyStateReader implements StateReader {
  readonly totalBytes = 0;
  constructor(
    readonly stateVersion: number,
    readonly epoch: string | undefined,
  ) {}
  next(): Promise<StateBatch> {
    return Promise.resolve({ documentJson: [], remainingBytes: 0, done: true });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
