import { isPasswordHash, type PasswordHash } from '../password-hash.js';

/** An `emailPassword` user as the server keeps it: never the password, only its salted hash. */
export interface StoredUser {
  /** Lower-cased: logins match emails case-insensitively. */
  readonly email: string;
  readonly userId: string;
  readonly password: PasswordHash;
}

/**
 * Whether a record read back from storage is a {@link StoredUser} this server can check logins
 * against. Every backend reads with it: storage is outside the process, and a record of another
 * shape (hand-edited, or from a future version) is left out rather than trusted.
 */
export function isStoredUser(value: unknown): value is StoredUser {
  if (typeof value !== 'object' || value === null) return false;
  const u = value as Record<string, unknown>;
  return typeof u.email === 'string' && typeof u.userId === 'string' && isPasswordHash(u.password);
}
