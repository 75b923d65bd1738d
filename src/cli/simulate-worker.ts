/**
 * One worker thread of `sync-session simulate --workers N`: runs every N-th seed of the range
 * and posts each result's summary (and a failure whole) to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { simulate } from '../testing/simulate.js';

/** What the main thread hands a worker. */
export interface WorkerInput {
  readonly first: number;
  readonly count: number;
  readonly stride: number;
  readonly steps: number;
  readonly clients: number;
  readonly partitions: number;
}

/** What a worker posts per schedule. */
export type WorkerMessage =
  | { readonly kind: 'ok'; readonly seed: number; readonly digest: string; readonly writes: number }
  | { readonly kind: 'failed'; readonly seed: number }
  | { readonly kind: 'done' };

const input = workerData as WorkerInput;
const port = parentPort;
if (port !== null) {
  for (let i = 0; i < input.count; i++) {
    const seed = input.first + i * input.stride;
    const result = await simulate({ seed, steps: input.steps, clients: input.clients, partitions: input.partitions });
    port.postMessage(result.ok ? { kind: 'ok', seed, digest: result.digest, writes: result.stats.writes } : { kind: 'failed', seed });
    if (!result.ok) break;
  }
  port.postMessage({ kind: 'done' });
}
