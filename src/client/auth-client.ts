/** Tokens a login returns. */
export interface Tokens {
  readonly userId: string;
  readonly accessToken: string;
  readonly refreshToken: string;
}

/** A refusal by the auth endpoint (401/403), as opposed to a network failure. */
export class AuthRefusedError extends Error {
  override readonly name = 'AuthRefusedError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function post(baseUrl: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const payload = (await res.json().catch(() => ({}))) as { error?: unknown };
  if (res.status === 401 || res.status === 403) throw new AuthRefusedError(res.status, String(payload.error ?? res.statusText));
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${String(payload.error ?? res.statusText)}`);
  return payload;
}

const isString = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** `POST /auth/login`. */
export async function requestLogin(baseUrl: string, body: Readonly<Record<string, string>>): Promise<Tokens> {
  const payload = (await post(baseUrl, '/auth/login', body)) as Partial<Tokens>;
  if (!isString(payload.userId) || !isString(payload.accessToken) || !isString(payload.refreshToken)) {
    throw new Error('/auth/login answered without userId, accessToken and refreshToken');
  }
  return { userId: payload.userId, accessToken: payload.accessToken, refreshToken: payload.refreshToken };
}

/** `POST /auth/refresh`: a new access token. */
export async function requestRefresh(baseUrl: string, refreshToken: string): Promise<string> {
  const payload = (await post(baseUrl, '/auth/refresh', { refreshToken })) as { accessToken?: unknown };
  if (!isString(payload.accessToken)) throw new Error('/auth/refresh answered without an accessToken');
  return payload.accessToken;
}

/** The expiry (ms since the epoch) a JWT claims, read without checking it (the server checks). */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
