import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { AuthStore } from './storage/server-storage.js';

/** The outcome of checking a token: its user, or why not. */
export type TokenCheck =
  | { readonly ok: true; readonly userId: string; readonly expiresAtMs: number }
  | { readonly ok: false; readonly reason: 'expired' | 'invalid' };

/** How many verified tokens are remembered; the oldest is forgotten first. */
const VERIFIED_TOKENS = 4_096;

/** Signs and checks the server's JWTs (HS256). Access and refresh tokens are told apart by `typ`. */
export class TokenIssuer {
  /** Imported once: from raw bytes, jose imports the key again for every signature. */
  private readonly key: KeyObject;
  /**
   * Tokens whose signature was checked, with what they say: every session of a user binds with
   * the same access token (10,000 on one socket in bench/), and a signature check is a round
   * trip to libuv's thread pool that BINDs, handled in order, would wait for one by one. A
   * remembered token is still checked for expiry at every use.
   */
  private readonly verified = new Map<string, { readonly typ: 'access' | 'refresh'; readonly userId: string; readonly exp: number }>();

  constructor(
    secret: string,
    private readonly accessTtlMs: number,
    private readonly refreshTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createSecretKey(new TextEncoder().encode(secret));
  }

  /** A short-lived token that BIND carries. */
  access(userId: string): Promise<string> {
    return this.sign(userId, 'access', this.accessTtlMs);
  }

  /** A long-lived token that buys new access tokens at `/auth/refresh`. */
  refresh(userId: string): Promise<string> {
    return this.sign(userId, 'refresh', this.refreshTtlMs);
  }

  /** Checks a token of kind `typ`: signature, kind and expiry. */
  async check(token: string, typ: 'access' | 'refresh'): Promise<TokenCheck> {
    const known = this.verified.get(token);
    if (known !== undefined && known.typ === typ) {
      // jose's rule: expired once `exp` is at or before the current whole second.
      if (known.exp <= Math.floor(this.now() / 1000)) {
        this.verified.delete(token);
        return { ok: false, reason: 'expired' };
      }
      return { ok: true, userId: known.userId, expiresAtMs: known.exp * 1000 };
    }
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        currentDate: new Date(this.now()),
        typ,
      });
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return { ok: false, reason: 'invalid' };
      if (this.verified.size >= VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { typ, userId: payload.sub, exp: payload.exp });
      return { ok: true, userId: payload.sub, expiresAtMs: payload.exp * 1000 };
    } catch (error) {
      return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }

  private sign(userId: string, typ: 'access' | 'refresh', ttlMs: number): Promise<string> {
    const nowSeconds = this.now() / 1000;
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ })
      .setSubject(userId)
      .setIssuedAt(Math.floor(nowSeconds))
      .setJti(randomBytes(8).toString('hex'))
      .setExpirationTime(nowSeconds + ttlMs / 1000)
      .sign(this.key);
  }
}

/**
 * The signing secret: the configured one, or the one `store` keeps (made on the first start
 * without one, so tokens survive restarts). A configured secret leaves the store untouched.
 */
export async function loadSecret(store: AuthStore, configured: string | undefined): Promise<string> {
  return configured ?? store.tokenSecret();
}
