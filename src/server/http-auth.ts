import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../store/logger.js';
import type { AuthAnswer } from '../transport/auth-transport.js';
import { bodyTooLarge, jsonAnswer, MAX_AUTH_BODY_BYTES, readsBody, type AuthHttpRequest } from './auth-routes.js';

/** The body as text; past {@link MAX_AUTH_BODY_BYTES} it rejects with a `RangeError` and stops reading. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_AUTH_BODY_BYTES) {
        reject(new RangeError('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Headers as one string each (node keeps repeated ones, such as `set-cookie`, as a list). */
function flatHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
}

function write(res: ServerResponse, answer: AuthAnswer): void {
  res.writeHead(answer.status, answer.headers);
  if (answer.body === '') res.end();
  else res.end(answer.body);
}

async function respond(req: IncomingMessage, res: ServerResponse, answer: (request: AuthHttpRequest) => Promise<AuthAnswer>): Promise<void> {
  const method = req.method ?? '';
  const path = req.url ?? '/';
  let body = '';
  if (readsBody(method, path)) {
    try {
      body = await readBody(req);
    } catch (error) {
      write(res, error instanceof RangeError ? bodyTooLarge() : jsonAnswer(400, { error: (error as Error).message }));
      return;
    }
  }
  write(res, await answer({ method, path, headers: flatHeaders(req.headers), body, remoteAddress: req.socket.remoteAddress ?? 'unknown' }));
}

/**
 * The HTTP server's request listener: each request read (the body only where a route takes it,
 * and at most {@link MAX_AUTH_BODY_BYTES} of it), handed to `answer`, and its answer written.
 */
export function httpAuthListener(answer: (request: AuthHttpRequest) => Promise<AuthAnswer>, logger: Logger): RequestListener {
  return (req, res) => {
    respond(req, res, answer).catch((error: unknown) => {
      logger.warn('auth request failed', { error: String(error) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
}
