import type { FileSystem } from '../../../store/file-system.js';
import { join } from 'node:path';
import { makeDirectoryDurably } from '../../../store/durable-fs.js';
import type { AuthStore } from '../server-storage.js';
import { isStoredUser, type StoredUser } from '../stored-user.js';
import { PrivateLog } from './private-log.js';
import { readTokenSecret, storeNewTokenSecret } from './token-secret-file.js';

export { TOKEN_SECRET_FILE } from './token-secret-file.js';

/** The file in `dataDir` that keeps the `emailPassword` users: one {@link StoredUser} line each, newest last. */
export const USERS_FILE = 'users.jsonl';

/** The file in `dataDir` that lists revoked users, one `{ "revoked": userId }` line each. */
export const REVOCATIONS_FILE = 'revoked-users.jsonl';

/**
 * Opens the auth state kept in `dataDir` (created if absent): `users.jsonl` and
 * `revoked-users.jsonl` as {@link PrivateLog}s, `token-secret` read at the first `tokenSecret()`.
 * A damaged record (a whole line that is not JSON) rejects naming the file and line. The caller
 * holds the lock of `dataDir`: the files have one writer.
 */
export async function openFileAuthStore(fs: FileSystem, dataDir: string): Promise<AuthStore> {
  makeDirectoryDurably(fs, dataDir);
  const users = PrivateLog.open(fs, join(dataDir, USERS_FILE));
  try {
    return new FileAuthStore(fs, dataDir, users, PrivateLog.open(fs, join(dataDir, REVOCATIONS_FILE)));
  } catch (error) {
    // A failed open holds no file of dataDir.
    users.close();
    throw error;
  }
}

/** Only the fields of a {@link StoredUser}, whatever else a record carries. */
const storedFields = ({ email, userId, password }: StoredUser): StoredUser => ({ email, userId, password });

/**
 * The file backend's {@link AuthStore}. Its writes are synchronous under the promises: each is
 * one small line and one fsync, as the server always did them, and being done before the call
 * returns, they are stored in call order without a queue.
 */
class FileAuthStore implements AuthStore {
  /** Per email, its newest record; a Map keeps the order emails first came in. */
  private readonly byEmail = new Map<string, StoredUser>();
  /** The revocations on stable storage. */
  private readonly revoked = new Set<string>();
  private secret: string | undefined;
  private closed = false;

  constructor(
    private readonly fs: FileSystem,
    private readonly dataDir: string,
    private readonly usersLog: PrivateLog,
    private readonly revocationsLog: PrivateLog,
  ) {
    // Records of another shape are left out, as the server always did: a login cannot use them.
    for (const record of usersLog.records) if (isStoredUser(record)) this.byEmail.set(record.email, storedFields(record));
    for (const record of revocationsLog.records) {
      const userId = (record as { revoked?: unknown } | null)?.revoked;
      if (typeof userId === 'string') this.revoked.add(userId);
    }
  }

  async users(): Promise<readonly StoredUser[]> {
    this.checkOpen();
    return [...this.byEmail.values()];
  }

  async addUser(user: StoredUser): Promise<void> {
    this.checkOpen();
    // Whatever else an object of this type carries stays out of the file.
    const record = storedFields(user);
    this.usersLog.append(record);
    this.byEmail.set(record.email, record);
  }

  async revokedUsers(): Promise<readonly string[]> {
    this.checkOpen();
    return [...this.revoked];
  }

  async revoke(userId: string): Promise<void> {
    this.checkOpen();
    if (this.revoked.has(userId)) return;
    this.revocationsLog.append({ revoked: userId });
    this.revoked.add(userId);
  }

  async tokenSecret(): Promise<string> {
    this.checkOpen();
    this.secret ??= readTokenSecret(this.fs, this.dataDir) ?? storeNewTokenSecret(this.fs, this.dataDir);
    return this.secret;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.usersLog.close();
    } finally {
      this.revocationsLog.close();
    }
  }

  /** A closed store's descriptors may already be another file's: nothing is written through them. */
  private checkOpen(): void {
    if (this.closed) throw new Error(`the auth store of ${this.dataDir} is closed`);
  }
}
