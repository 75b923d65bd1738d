import type { AuthAnswer, AuthRequest, AuthTransport } from './auth-transport.js';

/**
 * Auth requests over `fetch`: the default {@link AuthTransport}. The timeout covers the body as
 * well as the headers, so a node that dies or stalls mid-answer rejects (gave no answer) rather
 * than leaving half a body to be read as the node's word.
 */
export const fetchAuthTransport: AuthTransport = {
  async request(request: AuthRequest): Promise<AuthAnswer> {
    const res = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const body = await res.text();
    return { status: res.status, statusText: res.statusText, headers: Object.fromEntries(res.headers), body };
  },
};
