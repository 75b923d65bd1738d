import type { AuthAnswer, AuthTransport } from '../transport/auth-transport.js';
import { MalformedAuthResponseError, MAX_AUTH_TOKEN_LENGTH, MAX_USER_ID_LENGTH, ServerUnreachableError, UNAVAILABLE_STATUSES } from './errors.js';

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

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** How long an auth request may go unanswered (headers and body together). */
const AUTH_TIMEOUT_MS = 15_000;

/**
 * One auth request, sent by `transport`. No answer from the node (refused, unresolvable, reset,
 * 15 s of silence, an answer cut short, or 502/503/504) rejects with
 * {@link ServerUnreachableError} naming the URL and the reason: `fetch` alone says only "fetch failed".
 */
async function post(transport: AuthTransport, baseUrl: string, path: string, body: unknown, headers: Readonly<Record<string, string>>): Promise<unknown> {
  const url = `${baseUrl}${path}`;
  let res: AuthAnswer;
  try {
    // The body is read under the same 15 s as the headers; a node that dies mid-answer (or
    // stalls) gave no answer, so the next node is asked.
    res = await transport.request({ url, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: AUTH_TIMEOUT_MS });
  } catch (error) {
    throw new ServerUnreachableError(url, error);
  }
  const payload = parseJson(res.body);
  const error = isObject(payload) ? payload.error : undefined;
  // A gateway's 502/504 says the node behind it is down or silent, and a 503 that it cannot
  // serve now: nothing about the request, so the next node is asked. That includes the login
  // limiter's 503 (its shared windows cannot be checked): the nodes share that database, so the
  // next node most likely says the same, but a node whose own link to it broke is not the rest,
  // each node is asked once, and every node fails closed, so asking another admits nothing the
  // limits would refuse.
  if (UNAVAILABLE_STATUSES.includes(res.status)) throw new ServerUnreachableError(url, new Error(String(error ?? res.statusText)), res.status);
  if (res.status === 401 || res.status === 403) throw new AuthRefusedError(res.status, String(error ?? res.statusText));
  if (res.status < 200 || res.status > 299) throw new Error(`${path} answered ${res.status}: ${String(error ?? res.statusText)}`);
  return payload;
}

/** The body as JSON; one that is not (a gateway's HTML page) is an empty object. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

/** A string the protocol allows for a field of at most `max` characters. */
const isBounded = (value: unknown, max: number): value is string => typeof value === 'string' && value !== '' && value.length <= max;

/**
 * `POST /auth/login`, sent by `transport`. The answer is checked before anything uses it: the
 * user id names a directory under `storageDir` (encoded, but a megabyte of id is still refused)
 * and the tokens go into every BIND; a malformed answer throws {@link MalformedAuthResponseError}.
 */
export async function requestLogin(transport: AuthTransport, baseUrl: string, body: Readonly<Record<string, string>>): Promise<Tokens> {
  const payload = await post(transport, baseUrl, '/auth/login', body, {});
  if (
    !isObject(payload) ||
    !isBounded(payload.userId, MAX_USER_ID_LENGTH) ||
    !isBounded(payload.accessToken, MAX_AUTH_TOKEN_LENGTH) ||
    !isBounded(payload.refreshToken, MAX_AUTH_TOKEN_LENGTH)
  ) {
    throw new MalformedAuthResponseError(
      `/auth/login answered without a userId (a non-empty string of at most ${MAX_USER_ID_LENGTH} characters) and accessToken and refreshToken (non-empty strings of at most ${MAX_AUTH_TOKEN_LENGTH} characters)`,
    );
  }
  return { userId: payload.userId, accessToken: payload.accessToken, refreshToken: payload.refreshToken };
}

/**
 * `POST /auth/refresh`, sent by `transport` with `headers` (the asking session's
 * `customHttpHeaders`): a new access token; a malformed answer throws {@link MalformedAuthResponseError}.
 */
export async function requestRefresh(transport: AuthTransport, baseUrl: string, refreshToken: string, headers: Readonly<Record<string, string>> = {}): Promise<string> {
  const payload = await post(transport, baseUrl, '/auth/refresh', { refreshToken }, headers);
  if (!isObject(payload) || !isBounded(payload.accessToken, MAX_AUTH_TOKEN_LENGTH)) {
    throw new MalformedAuthResponseError(`/auth/refresh answered without an accessToken (a non-empty string of at most ${MAX_AUTH_TOKEN_LENGTH} characters)`);
  }
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
