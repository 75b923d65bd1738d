import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { EmailPasswordUser } from './options.js';
import { hashPassword, isPasswordHash, verifyPassword, type PasswordHash } from './password-hash.js';
import { PrivateLog } from './private-log.js';

/** The credentials `POST /auth/login` accepts. */
export type LoginRequest = { readonly provider: 'anonymous' } | { readonly provider: 'emailPassword'; readonly email: string; readonly password: string };

/** Reads a login body; `undefined` when it is not one of the accepted shapes. */
export function parseLogin(body: unknown): LoginRequest | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (b.provider === 'anonymous') return { provider: 'anonymous' };
  if (b.provider === 'emailPassword' && typeof b.email === 'string' && typeof b.password === 'string') {
    return { provider: 'emailPassword', email: b.email, password: b.password };
  }
  return undefined;
}

/** The file in `dataDir` that keeps the `emailPassword` users: one {@link StoredUser} line each. */
export const USERS_FILE = 'users.jsonl';

/** An `emailPassword` user as `dataDir` keeps it: never the password, only its salted hash. */
export interface StoredUser {
  /** Lower-cased: logins match emails case-insensitively. */
  readonly email: string;
  readonly userId: string;
  readonly password: PasswordHash;
}

const isStoredUser = (value: unknown): value is StoredUser => {
  const u = value as Partial<StoredUser> | null;
  return typeof u === 'object' && u !== null && typeof u.email === 'string' && typeof u.userId === 'string' && isPasswordHash(u.password);
};

/** The id of a user first created by a server that derived ids from the email: kept, so its files stay its own. */
const derivedUserId = (email: string): string => `user-${createHash('sha256').update(email).digest('hex').slice(0, 16)}`;

/**
 * Who may log in. Anonymous users get a fresh id each time; an email user keeps the id recorded
 * in `dataDir` when it was first configured, across logins, restarts and password changes.
 */
export class UserDirectory {
  /** A hash no password matches quickly, checked for unknown emails so they take as long as known ones. */
  private decoy: Promise<PasswordHash> | undefined;

  private constructor(private readonly byEmail: ReadonlyMap<string, StoredUser>) {}

  /**
   * The configured `users`, with the records kept in `dataDir/users.jsonl`: a user whose
   * configured password matches its record keeps it; a new user, or one whose password
   * changed, gets a fresh salt and hash, written (fsynced) before this resolves. Users no longer
   * configured cannot log in, but their records stay, so their ids come back with them.
   */
  static async open(dataDir: string, users: readonly EmailPasswordUser[]): Promise<UserDirectory> {
    const log = PrivateLog.open(join(dataDir, USERS_FILE));
    try {
      const stored = new Map<string, StoredUser>();
      for (const record of log.records) if (isStoredUser(record)) stored.set(record.email, record);
      // The last of two entries for one email wins, as it always did.
      const configured = new Map(users.map((u) => [u.email.toLowerCase(), u.password]));
      const byEmail = new Map<string, StoredUser>();
      await Promise.all(
        [...configured].map(async ([email, password]) => {
          const known = stored.get(email);
          if (known !== undefined && (await verifyPassword(password, known.password))) {
            byEmail.set(email, known);
            return;
          }
          const user: StoredUser = { email, userId: known?.userId ?? derivedUserId(email), password: await hashPassword(password) };
          log.append(user);
          byEmail.set(email, user);
        }),
      );
      return new UserDirectory(byEmail);
    } finally {
      log.close();
    }
  }

  /** The user id for these credentials, or `undefined` when they are wrong. */
  async logIn(request: LoginRequest): Promise<string | undefined> {
    if (request.provider === 'anonymous') return `anon-${randomBytes(8).toString('hex')}`;
    const user = this.byEmail.get(request.email.toLowerCase());
    if (user !== undefined) return (await verifyPassword(request.password, user.password)) ? user.userId : undefined;
    this.decoy ??= hashPassword(randomBytes(16).toString('hex'));
    await verifyPassword(request.password, await this.decoy);
    return undefined;
  }
}
