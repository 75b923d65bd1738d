/**
 * The {@link ChangeFeed} of the PostgreSQL backend: LISTEN/NOTIFY on one channel as the wake-up,
 * a poll as the guarantee.
 *
 * - Publishing: changes are gathered and sent together, one `pg_notify` statement for all that
 *   came while the previous one was on its way (coalesced: a burst of uploads to one partition
 *   is one notification), after the write committed, on the listening connection (whose commits
 *   do not wait for an fsync) or, while it is down, on the pool. A failed send is logged and
 *   forgotten: the other nodes' poll finds the change.
 * - Listening: one dedicated connection (not the pool's: a pooled client is handed to others),
 *   `LISTEN`ing. When it dies, it is opened again with backoff; once it listens again, the node
 *   resyncs, since whatever was sent while it was gone was lost.
 * - Polling: every `pollIntervalMs` the node resyncs anyway, so a lost or late notification
 *   delays delivery by at most that.
 *
 * A notification names its sender (the node's random id): PostgreSQL delivers it to the sender's
 * own listening connection too, and that node told its sessions already.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../../../store/logger.js';
import type { ChangeFeed, ChangeListener, StorageChange } from '../change-feed.js';

/** The `application_name` of the listening connection (how an operator, or a test, finds it in `pg_stat_activity`). */
export const LISTEN_APPLICATION_NAME = 'sync-session-listen';

/** The channel every node listens on (one per database). */
export const CHANGE_CHANNEL = 'sync_session_changes';

/** PostgreSQL refuses a payload of 8000 bytes or more; a change that does not fit asks for a resync instead. */
const MAX_PAYLOAD_BYTES = 7_900;

/** Backoff of the listening connection's reconnects. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/** Options of {@link openPostgresChangeFeed}. */
export interface PostgresChangeFeedOptions {
  /** Where notifications are sent from (the storage's pool, which the caller owns). */
  readonly pool: pg.Pool;
  /** How the listening connection connects (its own, outside the pool): the pool's URL. */
  readonly connectionString: string;
  /** How often the node resyncs whatever it heard. */
  readonly pollIntervalMs: number;
  readonly logger: Logger;
  /**
   * A fault hook for tests: a received change for which it returns true is dropped, as if the
   * notification had been lost. Never set in production.
   */
  readonly dropReceived?: (change: StorageChange) => boolean;
}

/** The wire form of a change: its sender and one of `p` (partition), `r` (revoked user), `all` (resync). */
interface Payload {
  readonly n: string;
  readonly p?: string;
  readonly r?: string;
  readonly all?: true;
}

/** The payload of `change` sent by node `node`. */
function payloadOf(node: string, change: StorageChange): string {
  const text = JSON.stringify(change.kind === 'partition' ? { n: node, p: change.partition } : { n: node, r: change.userId });
  return Buffer.byteLength(text, 'utf8') < MAX_PAYLOAD_BYTES ? text : JSON.stringify({ n: node, all: true });
}

/** What a received payload asks for; `undefined` for one that is not a payload (another program on the channel). */
function readPayload(text: string): Payload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.n !== 'string') return undefined;
  if (typeof v.p === 'string') return { n: v.n, p: v.p };
  if (typeof v.r === 'string') return { n: v.n, r: v.r };
  if (v.all === true) return { n: v.n, all: true };
  return undefined;
}

/** Opens the feed (it listens once `start` is called). */
export function openPostgresChangeFeed(options: PostgresChangeFeedOptions): ChangeFeed {
  return new PostgresChangeFeed(options);
}

class PostgresChangeFeed implements ChangeFeed {
  /** This node's id in payloads: random per process. */
  private readonly node = randomBytes(8).toString('hex');
  private listener: ChangeListener | undefined;
  private client: pg.Client | undefined;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  /** Payloads waiting for the next send (a set: the same change twice is sent once). */
  private pending = new Set<string>();
  private sending: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: PostgresChangeFeedOptions) {}

  start(listener: ChangeListener): void {
    if (this.listener !== undefined || this.closed) return;
    this.listener = listener;
    this.connecting = this.listen();
    this.pollTimer = setInterval(() => listener.resync(), this.options.pollIntervalMs);
  }

  publish(change: StorageChange): void {
    if (this.closed) return;
    this.pending.add(payloadOf(this.node, change));
    this.sending ??= this.send();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
    await this.connecting;
    await this.sending;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Sends what is pending, and what comes meanwhile, until none is left. */
  private async send(): Promise<void> {
    // What publish() calls in the same tick add is sent with it.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pending.size > 0) {
      const payloads = [...this.pending];
      this.pending = new Set();
      try {
        // On the listening connection when it is up: its commits do not wait for the WAL's fsync
        // (see `listen`), and a notification is only a wake-up. Else on the pool, which does.
        await (this.client ?? this.options.pool).query('select pg_notify($1, payload) from unnest($2::text[]) as payload', [CHANGE_CHANNEL, payloads]);
      } catch (error) {
        this.options.logger.warn('could not notify the other nodes (they find the change at their next poll)', { changes: payloads.length, error: String(error) });
      }
    }
    this.sending = undefined;
  }

  /** Opens the listening connection and LISTENs; on failure, tries again after a backoff. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.connectionString, keepAlive: true, keepAliveInitialDelayMillis: 10_000, application_name: LISTEN_APPLICATION_NAME, connectionTimeoutMillis: 10_000 });
    // Unheard, a dying connection's `error` would end the process.
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the connection ended')));
    client.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL && message.payload !== undefined) this.received(message.payload);
    });
    try {
      await client.connect();
      await client.query(`listen ${CHANGE_CHANNEL}`);
      // A NOTIFY takes a transaction id, so its commit would wait for a WAL fsync like an
      // upload's (doubling the fsyncs per upload): not for a wake-up that the poll backs up.
      await client.query('set synchronous_commit to off');
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    // Whatever was sent before this connection listened is lost to this node.
    this.listener?.resync();
  }

  private received(text: string): void {
    const payload = readPayload(text);
    if (payload === undefined) {
      this.options.logger.warn('ignored a notification that is not a change', { channel: CHANGE_CHANNEL });
      return;
    }
    if (payload.n === this.node || this.listener === undefined) return;
    if (payload.all === true) return this.listener.resync();
    const change: StorageChange = payload.p !== undefined ? { kind: 'partition', partition: payload.p } : { kind: 'revoked', userId: payload.r! };
    if (this.options.dropReceived?.(change) === true) return;
    this.listener.changed(change);
  }

  /** The listening connection `client` failed: open another after a backoff (once per connection). */
  private lost(client: pg.Client, error: unknown): void {
    client.removeAllListeners('end');
    client.removeAllListeners('notification');
    // A second error of the same client must still be heard (unheard ends the process), and do nothing.
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.client === client) this.client = undefined;
    if (this.closed || this.retryTimer !== undefined) return;
    this.options.logger.warn('lost the connection that listens for other nodes; reconnecting', { retryMs: this.retryMs, error: String(error) });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed) this.connecting = this.listen();
    }, this.retryMs);
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
  }
}
