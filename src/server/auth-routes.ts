import { STATUS_CODES } from 'node:http';
import type { Logger } from '../store/logger.js';
import type { AuthAnswer } from '../transport/auth-transport.js';
import type { LoginAdmission, LoginLimiter } from './login-limiter.js';
import type { TokenIssuer } from './tokens.js';
import { parseLogin, type UserDirectory } from './users.js';

/** Largest auth request body taken; the HTTP server stops reading past it, and a longer one is refused. */
export const MAX_AUTH_BODY_BYTES = 16 * 1024;

/** One request to the server's HTTP side, as the auth routes read it: whatever carried it. */
export interface AuthHttpRequest {
  readonly method: string;
  /** The request target as sent: the path, and the query if any. */
  readonly path: string;
  /** Lowercase names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The whole body, as text. */
  readonly body: string;
  /** The peer's address, which the failed-login limits count by. */
  readonly remoteAddress: string;
}

/** What the auth routes answer from. */
export interface AuthRouteContext {
  readonly users: UserDirectory;
  readonly tokens: TokenIssuer;
  readonly revoked: ReadonlySet<string>;
  readonly limiter: LoginLimiter;
  readonly logger: Logger;
}

/** An answer with a JSON body. */
export function jsonAnswer(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): AuthAnswer {
  const text = JSON.stringify(body);
  return { status, statusText: STATUS_CODES[status] ?? '', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }, body: text };
}

/** The answer to a body longer than {@link MAX_AUTH_BODY_BYTES}. */
export const bodyTooLarge = (): AuthAnswer => jsonAnswer(413, { error: 'body too large' });

const isRoute = (pathname: string): boolean => pathname === '/auth/login' || pathname === '/auth/refresh';

/**
 * Whether the routes read the body of a request of `method` to `target`: only a POST to an auth
 * route's. Any other is answered (404, 405) without it, so the HTTP server does not wait for it.
 */
export function readsBody(method: string, target: string): boolean {
  if (method !== 'POST') return false;
  try {
    return isRoute(new URL(target, 'http://localhost').pathname);
  } catch {
    // Unreadable: answered 500 by `answerAuth` without a body.
    return false;
  }
}

/**
 * `POST /auth/login` → `{ userId, accessToken, refreshToken }`;
 * `POST /auth/refresh` with `{ refreshToken }` (or `Authorization: Bearer <refresh token>`) →
 * `{ userId, accessToken }`. Wrong credentials answer 401, malformed requests 400, a body over
 * {@link MAX_AUTH_BODY_BYTES} 413, an email or address past its failed-login limit 429 with
 * `Retry-After` (seconds), and a login whose limits cannot be checked (the store's database out
 * of reach) 503, never admitted unchecked. Any other path is 404. Never rejects: a failure is
 * logged and answered 500.
 */
export async function answerAuth(request: AuthHttpRequest, context: AuthRouteContext): Promise<AuthAnswer> {
  try {
    return await route(request, context);
  } catch (error) {
    context.logger.warn('auth request failed', { error: String(error) });
    return { status: 500, statusText: STATUS_CODES[500] ?? '', headers: {}, body: '' };
  }
}

async function route(request: AuthHttpRequest, { users, tokens, revoked, limiter }: AuthRouteContext): Promise<AuthAnswer> {
  const path = new URL(request.path, 'http://localhost').pathname;
  if (!isRoute(path)) {
    const text = JSON.stringify({ error: `no route ${request.method} ${request.path}` });
    return { status: 404, statusText: STATUS_CODES[404] ?? '', headers: { 'content-type': 'application/json' }, body: text };
  }
  if (request.method !== 'POST') return jsonAnswer(405, { error: 'use POST' });
  // The HTTP server stops reading at the cap; a caller that hands the body over whole is held to it here.
  if (Buffer.byteLength(request.body) > MAX_AUTH_BODY_BYTES) return bodyTooLarge();
  let body: unknown;
  try {
    body = JSON.parse(request.body);
  } catch {
    return jsonAnswer(400, { error: 'body is not JSON' });
  }
  if (path === '/auth/login') {
    const login = parseLogin(body);
    if (login === undefined) return jsonAnswer(400, { error: "expected { provider: 'anonymous' } or { provider: 'emailPassword', email, password }" });
    let admission: LoginAdmission | undefined;
    try {
      admission = login.provider === 'emailPassword' ? await limiter.begin(login.email, request.remoteAddress) : undefined;
    } catch {
      // Fails closed: an attempt the limits cannot be checked for is not checked at all (the
      // store logs why), else a database out of reach would allow unlimited guesses.
      return jsonAnswer(503, { error: 'the failed-login limits cannot be checked now (storage unavailable); try again later' }, { 'retry-after': '1' });
    }
    if (admission?.ok === false) {
      const seconds = Math.ceil(admission.retryAfterMs / 1000);
      return jsonAnswer(429, { error: `too many failed logins; try again in ${seconds} s` }, { 'retry-after': String(seconds) });
    }
    const userId = await users.logIn(login);
    if (userId === undefined || revoked.has(userId)) return jsonAnswer(401, { error: 'wrong email or password' });
    // The password was right: a store that cannot take the failure back costs this user one
    // attempt of the window, not the login (the store logs why).
    if (admission !== undefined) await limiter.succeeded(admission).catch(() => undefined);
    return jsonAnswer(200, { userId, accessToken: await tokens.access(userId), refreshToken: await tokens.refresh(userId) });
  }
  const header = request.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
  const refreshToken = typeof body === 'object' && body !== null ? (body as { refreshToken?: unknown }).refreshToken : undefined;
  const token = typeof refreshToken === 'string' ? refreshToken : bearer;
  if (token === undefined) return jsonAnswer(400, { error: 'expected { refreshToken }' });
  const check = await tokens.check(token, 'refresh');
  if (!check.ok || revoked.has(check.userId)) return jsonAnswer(401, { error: check.ok ? 'the user was logged out' : `the refresh token is ${check.reason}` });
  return jsonAnswer(200, { userId: check.userId, accessToken: await tokens.access(check.userId) });
}
