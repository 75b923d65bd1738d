import { createHash, randomBytes } from 'node:crypto';
import type { EmailPasswordUser } from './options.js';
import { DEFAULT_PASSWORD_COST, hashPassword, verifyPassword, type PasswordCost, type PasswordHash } from './password-hash.js';
import type { AuthStore, StoredUser } from './storage/server-storage.js';

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

/** The id of a user first created by a server that derived ids from the email: kept, so its files stay its own. */
const derivedUserId = (email: string): string => `user-${createHash('sha256').update(email).digest('hex').slice(0, 16)}`;

/**
 * Who may log in. Anonymous users get a fresh id each time; an email user keeps the id recorded
 * in the {@link AuthStore} when it first logged in, across logins, restarts and password changes.
 *
 * A configured user's record is made or checked at its first login, not at start: one scrypt
 * costs about 0.1 s of a core, and a server with thousands of users must not spend minutes
 * hashing before it listens, nor hash for users who never come.
 */
export class UserDirectory {
  /** Per configured email, its record once checked against the configured password (memoized, so concurrent first logins make one). */
  private readonly checked = new Map<string, Promise<StoredUser>>();
  /** A hash no password matches quickly, checked for unknown emails so they take as long as known ones. */
  private decoy: Promise<PasswordHash> | undefined;

  private constructor(
    private readonly store: AuthStore,
    /** Configured password per lower-cased email; the last of two entries for one email wins, as it always did. */
    private readonly configured: ReadonlyMap<string, string>,
    /** The store's records, the newest per email. */
    private readonly stored: Map<string, StoredUser>,
    /** The scrypt cost of new hashes. */
    private readonly cost: PasswordCost,
  ) {}

  /**
   * The configured `users`, with the records kept in `store`. Users no longer configured cannot
   * log in, but their records stay, so their ids come back with them.
   */
  static async open(store: AuthStore, users: readonly EmailPasswordUser[], cost: PasswordCost = DEFAULT_PASSWORD_COST): Promise<UserDirectory> {
    const stored = new Map((await store.users()).map((user) => [user.email, user]));
    return new UserDirectory(store, new Map(users.map((u) => [u.email.toLowerCase(), u.password])), stored, cost);
  }

  /**
   * The user id for these credentials, or `undefined` when they are wrong. A user's first login
   * since start makes its record if its configured password has none (new user, or a password
   * changed in the configuration): a fresh salt and hash, durable before this resolves.
   */
  async logIn(request: LoginRequest): Promise<string | undefined> {
    if (request.provider === 'anonymous') return `anon-${randomBytes(8).toString('hex')}`;
    const email = request.email.toLowerCase();
    if (!this.configured.has(email)) {
      this.decoy ??= hashPassword(randomBytes(16).toString('hex'), this.cost);
      await verifyPassword(request.password, await this.decoy);
      return undefined;
    }
    const user = await this.record(email);
    return (await verifyPassword(request.password, user.password)) ? user.userId : undefined;
  }

  private record(email: string): Promise<StoredUser> {
    let pending = this.checked.get(email);
    if (pending === undefined) {
      pending = this.check(email, this.configured.get(email)!);
      this.checked.set(email, pending);
      // A failed write is tried again at the next login rather than remembered.
      pending.catch(() => this.checked.delete(email));
    }
    return pending;
  }

  private async check(email: string, password: string): Promise<StoredUser> {
    const known = this.stored.get(email);
    if (known !== undefined && (await verifyPassword(password, known.password))) return known;
    const user: StoredUser = { email, userId: known?.userId ?? derivedUserId(email), password: await hashPassword(password, this.cost) };
    await this.store.addUser(user);
    this.stored.set(email, user);
    return user;
  }
}
