import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoginAdmission, LoginLimiter } from './login-limiter.js';
import type { TokenIssuer } from './tokens.js';
import { parseLogin, type UserDirectory } from './users.js';

/** Largest auth request body read; anything longer is refused before it is buffered. */
const MAX_BODY_BYTES = 16 * 1024;

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RangeError('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new SyntaxError('body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

/**
 * `POST /auth/login` → `{ userId, accessToken, refreshToken }`;
 * `POST /auth/refresh` with `{ refreshToken }` (or `Authorization: Bearer <refresh token>`) →
 * `{ userId, accessToken }`. Wrong credentials answer 401, malformed requests 400, an email or
 * address past its failed-login limit 429 with `Retry-After` (seconds), and a login whose limits
 * cannot be checked (the store's database out of reach) 503, never admitted unchecked.
 * Returns false for any other path, for the caller to answer.
 */
export async function handleAuth(
  req: IncomingMessage,
  res: ServerResponse,
  users: UserDirectory,
  tokens: TokenIssuer,
  revoked: ReadonlySet<string>,
  limiter: LoginLimiter,
): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== '/auth/login' && path !== '/auth/refresh') return false;
  if (req.method !== 'POST') {
    reply(res, 405, { error: 'use POST' });
    return true;
  }
  let body: unknown;
  try {
    body = await readJson(req);
  } catch (error) {
    reply(res, error instanceof RangeError ? 413 : 400, { error: (error as Error).message });
    return true;
  }
  if (path === '/auth/login') {
    const login = parseLogin(body);
    if (login === undefined) {
      reply(res, 400, { error: "expected { provider: 'anonymous' } or { provider: 'emailPassword', email, password }" });
      return true;
    }
    let admission: LoginAdmission | undefined;
    try {
      admission = login.provider === 'emailPassword' ? await limiter.begin(login.email, req.socket.remoteAddress ?? 'unknown') : undefined;
    } catch {
      // Fails closed: an attempt the limits cannot be checked for is not checked at all (the
      // store logs why), else a database out of reach would allow unlimited guesses.
      reply(res, 503, { error: 'the failed-login limits cannot be checked now (storage unavailable); try again later' }, { 'retry-after': '1' });
      return true;
    }
    if (admission?.ok === false) {
      const seconds = Math.ceil(admission.retryAfterMs / 1000);
      reply(res, 429, { error: `too many failed logins; try again in ${seconds} s` }, { 'retry-after': String(seconds) });
      return true;
    }
    const userId = await users.logIn(login);
    if (userId === undefined || revoked.has(userId)) {
      reply(res, 401, { error: 'wrong email or password' });
      return true;
    }
    // The password was right: a store that cannot take the failure back costs this user one
    // attempt of the window, not the login (the store logs why).
    if (admission !== undefined) await limiter.succeeded(admission).catch(() => undefined);
    reply(res, 200, { userId, accessToken: await tokens.access(userId), refreshToken: await tokens.refresh(userId) });
    return true;
  }
  const header = req.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
  const refreshToken = typeof body === 'object' && body !== null ? (body as { refreshToken?: unknown }).refreshToken : undefined;
  const token = typeof refreshToken === 'string' ? refreshToken : bearer;
  if (token === undefined) {
    reply(res, 400, { error: 'expected { refreshToken }' });
    return true;
  }
  const check = await tokens.check(token, 'refresh');
  if (!check.ok || revoked.has(check.userId)) {
    reply(res, 401, { error: check.ok ? 'the user was logged out' : `the refresh token is ${check.reason}` });
    return true;
  }
  reply(res, 200, { userId: check.userId, accessToken: await tokens.access(check.userId) });
  return true;
}
