/**
 * Which local changesets of a realm file are on stable storage, and so may be uploaded: one
 * uploaded and then lost to a power failure would have its client version reused for
 * different content. With `full` durability every commit is durable when it returns; with
 * `batched` a commit becomes durable when the log's next sync covers it.
 */
import type { RecordLog } from './record-log.js';

/** The durable client version of one realm file, kept as commits are synced. */
export class DurableVersions {
  /** Last client version known to be on stable storage. */
  private durable: number;
  /**
   * Counts the times the log started over (a client reset): client versions start over then, so
   * a batched sync that completes after one must not report an older, higher version as durable.
   */
  private resets = 0;
  /**
   * Batched commits not yet known durable: the file offset each ended at, and the client version
   * after it, in commit order. A sync covers every commit that ended before it, so when one
   * completes, all of those become uploadable at once (not one per commit as their
   * notifications arrive: a session would send one UPLOAD per changeset).
   */
  private awaitingSync: Array<{ readonly end: number; readonly version: number }> = [];
  private awaitingHead = 0;

  /** `version` is the client version of what the log holds when opened: all of it durable. */
  constructor(
    private readonly log: RecordLog,
    version: number,
  ) {
    this.durable = version;
  }

  /** Last client version known to be on stable storage: only changesets up to it may be uploaded. */
  get version(): number {
    return this.durable;
  }

  /**
   * A commit was just appended, leaving the file's client version at `version`: calls `durable`
   * once it is on stable storage (at once with `full`, after the batch's sync with `batched`),
   * or `failed` if that sync fails.
   */
  committed(version: number, durable: () => void, failed: (error: unknown) => void): void {
    if (this.log.durability === 'full') {
      this.durable = version;
      durable();
      return;
    }
    const resets = this.resets;
    this.awaitingSync.push({ end: this.log.sizeBytes, version });
    this.log.flush().then(() => {
      if (resets === this.resets) {
        this.durable = Math.max(this.durable, version);
        this.advance();
      }
      durable();
    }, failed);
  }

  /** The log was rewritten whole (compaction): all of it is durable, through `version`. */
  rewritten(version: number): void {
    this.durable = version;
    this.clearAwaitingSync();
  }

  /**
   * A client reset rewrote the log under a new ident, client versions starting over: all of it
   * is durable through `version`, and no sync pending from before may report a version.
   */
  startedOver(version: number): void {
    this.resets += 1;
    this.rewritten(version);
  }

  /** Every batched commit the log's last sync covered is durable: their changesets may be uploaded. */
  private advance(): void {
    const synced = this.log.syncedBytes;
    while (this.awaitingHead < this.awaitingSync.length && this.awaitingSync[this.awaitingHead]!.end <= synced) {
      this.durable = Math.max(this.durable, this.awaitingSync[this.awaitingHead]!.version);
      this.awaitingHead++;
    }
    if (this.awaitingHead === this.awaitingSync.length) this.clearAwaitingSync();
  }

  /** After a rewrite, offsets of earlier commits mean nothing (and all of them are durable). */
  private clearAwaitingSync(): void {
    this.awaitingSync = [];
    this.awaitingHead = 0;
  }
}
