import type { AuthStore } from './storage/server-storage.js';

/**
 * The users logged out by `revokeUser`, kept in the {@link AuthStore} so that a restart does not
 * give back what a logout took: refresh tokens live for weeks, and the secret that signed them
 * survives restarts too.
 */
export class RevocationList {
  private constructor(
    private readonly store: AuthStore,
    /** In force: checked at login, refresh and BIND. */
    private readonly revoked: Set<string>,
  ) {}

  /** The list as `store` keeps it. */
  static async open(store: AuthStore): Promise<RevocationList> {
    return new RevocationList(store, new Set(await store.revokedUsers()));
  }

  /** The revoked users, for the checks at login, refresh and BIND. */
  get users(): ReadonlySet<string> {
    return this.revoked;
  }

  /**
   * Revokes `userId`: in force at once (before this returns), on stable storage when it
   * resolves. When the write fails it rejects, and the revocation stays in force until the
   * process ends (a failed disk is no reason to let the user back in); calling again retries
   * the write (the store stores a revocation once, however often it is asked).
   */
  add(userId: string): Promise<void> {
    this.revoked.add(userId);
    return this.store.revoke(userId);
  }

  /**
   * Puts in force a revocation another node stored (its feed said so); true when it was not in
   * force here yet.
   */
  learn(userId: string): boolean {
    if (this.revoked.has(userId)) return false;
    this.revoked.add(userId);
    return true;
  }

  /** Reads the stored revocations again (another node's may not have been heard); resolves to those new here, now in force. */
  async reload(): Promise<readonly string[]> {
    return (await this.store.revokedUsers()).filter((userId) => this.learn(userId));
  }
}
