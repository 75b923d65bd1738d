import type { ServerMessage } from '../protocol/index.js';
import { DEFAULT_MAX_CHANGESET_BYTES, DEFAULT_MAX_MESSAGE_BYTES } from '../protocol/index.js';
import type { RealmFile } from '../store/realm-file.js';

/** The server's size limits (PROTOCOL.md "Limits"), as IDENT names them. */
export interface ServerLimits {
  maxMessageBytes: number;
  maxChangesetBytes: number;
}

/** The limits of the default server, until an IDENT names others. */
export const defaultServerLimits = (): ServerLimits => ({ maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, maxChangesetBytes: DEFAULT_MAX_CHANGESET_BYTES });

/**
 * What the server's last IDENT said about what it accepts: size limits (shared by the app's
 * sessions), how far ahead of this device's clock a downloaded stamp may drag the file's, and
 * how long the server keeps tombstones.
 * Facts about the peer that bound the store's writes, not session state: no transition reads them.
 */
export class ServerTerms {
  private clockLeadMs = Number.POSITIVE_INFINITY;
  private historyRetentionMs: number | undefined;

  constructor(readonly limits: ServerLimits) {}

  /** Takes what an IDENT names; a limit it leaves out stays as it was, a retention left out means none. */
  learn(ident: Extract<ServerMessage, { type: 'ident' }>): void {
    if (ident.maxChangesetBytes !== undefined) this.limits.maxChangesetBytes = ident.maxChangesetBytes;
    if (ident.maxMessageBytes !== undefined) this.limits.maxMessageBytes = ident.maxMessageBytes;
    // Twice the server's skew: a stamp it took from a replica ahead of it is followed in full
    // (a wall up to one skew past the server's clock, however far this clock is behind it by
    // up to another); one it should never have taken is not, so later commits stay uploadable.
    if (ident.maxClockSkewMs !== undefined) this.clockLeadMs = Math.min(2 * ident.maxClockSkewMs, Number.MAX_SAFE_INTEGER);
    // Absent, the server keeps every tombstone, so the file keeps them too: an IDENT without it
    // (a server that predates it, or one configured to keep all) forgets an earlier one.
    this.historyRetentionMs = ident.historyRetentionMs;
  }

  /**
   * A commit the server would refuse as too big, or stamped too far ahead, is refused by `write`
   * first. The file keeps every tombstone for now, whatever retention the server names
   * (`RealmFile.retainTombstones` is not given it): the server drops a tombstone only when it
   * folds, counting from when the deletion reached it, and it still takes a put stamped before
   * one it keeps; a client that dropped its copy by the stamp's wall would show that put while
   * the server and every other replica hide it. It waits until the server says which
   * tombstones it dropped.
   */
  applyTo(store: RealmFile): void {
    store.limitChangesetBytes(this.limits.maxChangesetBytes);
    store.limitClockLead(this.clockLeadMs);
  }

  /** The tombstone retention the server's last IDENT named (`undefined`: it keeps them all). */
  get retentionMs(): number | undefined {
    return this.historyRetentionMs;
  }
}
