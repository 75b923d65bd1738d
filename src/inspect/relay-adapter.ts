import type { createInspector, StatelyInspectionEvent } from '@statelyai/inspect';
import WebSocket from 'ws';
import type { Logger } from '../store/logger.js';
import { LiveActors } from './live-actors.js';
import { toWireFrame } from './wire-frame.js';

/** What `createInspector` takes as its adapter (the package does not export the name). */
type Adapter = Parameters<typeof createInspector>[0];

/** Options of the link from an app to an inspector relay. */
export interface RelayAdapterOptions {
  /** The relay's WebSocket address, `ws://127.0.0.1:9777` for `sync-session inspect`. */
  readonly url: string;
  readonly logger: Logger;
  /** First and longest pause before reconnecting to a relay that went away. */
  readonly retryDelayMs?: { readonly initial: number; readonly max: number };
}

/**
 * The `@statelyai/inspect` adapter behind `App({ inspect: true })`: it writes each inspection
 * event as one frame to the relay. Unlike the package's own WebSocket adapter, which retries
 * only after a socket error and never after a clean close, and sends a reconnected relay only
 * what happened after the reconnect, this one reconnects whenever the link drops (with a
 * growing pause) and announces every live actor again with its latest snapshot, so a restarted
 * relay and its viewers see the sessions again. Frames made while the link is down are dropped
 * (their result is in the re-announcement); timers never keep the process alive.
 */
export class RelayAdapter implements Adapter {
  private socket: WebSocket | undefined;
  private retry: NodeJS.Timeout | undefined;
  private delayMs: number;
  private running = false;
  private readonly live = new LiveActors();
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: RelayAdapterOptions) {
    this.initialDelayMs = options.retryDelayMs?.initial ?? 250;
    this.maxDelayMs = options.retryDelayMs?.max ?? 5_000;
    this.delayMs = this.initialDelayMs;
  }

  /** Opens the link (called by `createInspector`). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  /** Closes the link for good; a relay that does not answer the close is cut off after 1 s. */
  stop(): void {
    this.running = false;
    clearTimeout(this.retry);
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return;
    socket.close();
    setTimeout(() => socket.terminate(), 1_000).unref();
  }

  /** Sends one inspection event, or keeps only its effect on the live actors while the link is down. */
  send(event: StatelyInspectionEvent): void {
    const frame = toWireFrame(event);
    this.live.apply(frame);
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  /** Whether the link is open now. */
  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  private connect(): void {
    let url: URL;
    try {
      url = new URL(this.options.url);
    } catch {
      this.options.logger.warn('inspector relay address is not a URL; not inspecting', { url: this.options.url });
      return;
    }
    // A source only sends: the relay neither replays to it nor passes it what others send.
    url.searchParams.set('role', 'source');
    const socket = new WebSocket(url);
    this.socket = socket;
    // Inspection never keeps a process alive: the app's own sockets and timers decide that.
    socket.on('upgrade', (response) => response.socket.unref());
    socket.on('open', () => {
      this.delayMs = this.initialDelayMs;
      this.options.logger.info('inspector relay connected', { url: this.options.url });
      for (const frame of this.live.frames()) socket.send(JSON.stringify(frame));
    });
    // A refused or broken link ends in 'close', which retries; the error itself says nothing more.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket || !this.running) return;
      if (this.delayMs === this.initialDelayMs) this.options.logger.info('inspector relay unreachable; retrying', { url: this.options.url });
      this.socket = undefined;
      this.retry = setTimeout(() => this.running && this.connect(), this.delayMs);
      this.retry.unref();
      this.delayMs = Math.min(this.maxDelayMs, this.delayMs * 2);
    });
  }
}
