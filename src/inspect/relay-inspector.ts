import { createInspector } from '@statelyai/inspect';
import type { InspectionEvent, Observer } from 'xstate';
import type { Logger } from '../store/logger.js';
import { silentLogger } from '../store/logger.js';
import { RelayAdapter } from './relay-adapter.js';

/** Where `sync-session inspect` listens unless told otherwise. */
export const DEFAULT_INSPECT_PORT = 9777;

/** The relay address `App({ inspect: true })` sends to. */
export const DEFAULT_INSPECT_URL = `ws://127.0.0.1:${DEFAULT_INSPECT_PORT}`;

/** An inspector whose events go to a relay: pass `inspect` to actors, `stop()` when done. */
export interface RelayInspector {
  readonly inspect: Observer<InspectionEvent>;
  readonly adapter: RelayAdapter;
  stop(): void;
}

/**
 * `@statelyai/inspect`'s inspector (its event conversion, so the Stately inspector reads the
 * frames too) over a `RelayAdapter` that survives relay restarts.
 */
export function createRelayInspector(options: { readonly url?: string; readonly logger?: Logger } = {}): RelayInspector {
  const adapter = new RelayAdapter({ url: options.url ?? DEFAULT_INSPECT_URL, logger: options.logger ?? silentLogger });
  // Machine definitions are deeper than the package's default limit of 10.
  const inspector = createInspector(adapter, { serializationDepthLimit: 32 });
  inspector.start();
  return { inspect: inspector.inspect, adapter, stop: () => inspector.stop() };
}
