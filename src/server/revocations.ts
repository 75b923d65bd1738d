import { join } from 'node:path';
import { PrivateLog } from './private-log.js';

/** The file in `dataDir` that lists logged-out users, one `{ "revoked": userId }` line each. */
export const REVOCATIONS_FILE = 'revoked-users.jsonl';

/**
 * The users logged out by `revokeUser`, kept in `dataDir` so that a restart does not give back
 * what a logout took: refresh tokens live for weeks, and the secret that signed them survives
 * restarts too.
 */
export class RevocationList {
  /** In force: checked at login, refresh and BIND. */
  private readonly revoked = new Set<string>();
  /** On stable storage. */
  private readonly written = new Set<string>();

  private constructor(private readonly log: PrivateLog) {
    for (const record of log.records) {
      const userId = (record as { revoked?: unknown } | null)?.revoked;
      if (typeof userId === 'string') this.revoked.add(userId);
    }
    for (const userId of this.revoked) this.written.add(userId);
  }

  /** Opens (creating if absent) the list kept in `dataDir`. */
  static open(dataDir: string): RevocationList {
    return new RevocationList(PrivateLog.open(join(dataDir, REVOCATIONS_FILE)));
  }

  /** The revoked users, for the checks at login, refresh and BIND. */
  get users(): ReadonlySet<string> {
    return this.revoked;
  }

  /**
   * Revokes `userId`: in force at once, and on stable storage when it returns. When the write
   * fails it throws, and the revocation stays in force until the process ends (a failed disk is
   * no reason to let the user back in); calling again retries the write.
   */
  add(userId: string): void {
    this.revoked.add(userId);
    if (this.written.has(userId)) return;
    this.log.append({ revoked: userId });
    this.written.add(userId);
  }

  /** Closes the file. */
  close(): void {
    this.log.close();
  }
}
