/**
 * The auth request port: how the client runtime sends its login and token refresh requests
 * (`POST /auth/login`, `POST /auth/refresh`). The default is `fetch`
 * ({@link fetchAuthTransport}); `sync-session/testing` answers them over its simulated network,
 * from the same server logic, with no HTTP.
 */

/** One auth request. */
export interface AuthRequest {
  /** The whole URL: the node's base URL and the route. */
  readonly url: string;
  readonly method: 'POST';
  /** Lower-case names: `content-type`, `user-agent`, and on a refresh the asking session's `customHttpHeaders`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body, as text. */
  readonly body: string;
  /** How long the answer may take (headers and body together) before the request counts as unanswered. */
  readonly timeoutMs: number;
}

/** An answer: status, headers (lowercase names) and the whole body as text. */
export interface AuthAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends auth requests. `request` resolves with whatever the node answered (any status) and
 * rejects when there was no answer: refused, reset, timed out, or cut short.
 */
export interface AuthTransport {
  request(request: AuthRequest): Promise<AuthAnswer>;
}
