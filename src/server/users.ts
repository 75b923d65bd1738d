import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EmailPasswordUser } from './options.js';

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

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Who may log in. Anonymous users get a fresh id each time; an email user's id is derived from
 * the email, so the same person is the same user across logins and server restarts.
 */
export class UserDirectory {
  private readonly byEmail: ReadonlyMap<string, Buffer>;

  constructor(users: readonly EmailPasswordUser[]) {
    this.byEmail = new Map(users.map((u) => [u.email.toLowerCase(), digest(u.password)]));
  }

  /** The user id for these credentials, or `undefined` when they are wrong. */
  logIn(request: LoginRequest): string | undefined {
    if (request.provider === 'anonymous') return `anon-${randomBytes(8).toString('hex')}`;
    const expected = this.byEmail.get(request.email.toLowerCase());
    // Compare digests in constant time, and spend the same time for an unknown email.
    const given = digest(request.password);
    const match = timingSafeEqual(given, expected ?? digest(`${request.password}!`));
    return expected !== undefined && match ? `user-${digest(request.email.toLowerCase()).toString('hex').slice(0, 16)}` : undefined;
  }
}
