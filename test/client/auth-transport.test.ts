/**
 * `AppConfig.authTransport`: login and refresh go through the port the app is given, and the
 * client reads its answers as it reads fetch's (a rejection is no answer, a 401 a refusal).
 * No network: the transport answers in-process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthRefusedError } from '../../src/client/auth-client.js';
import { App, Credentials, ServerUnreachableError, silentLogger } from '../../src/index.js';
import type { AuthAnswer, AuthRequest, AuthTransport } from '../../src/transport/auth-transport.js';

const dir = mkdtempSync(join(tmpdir(), 'auth-transport-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const json = (status: number, body: unknown): AuthAnswer => ({ status, statusText: '', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A transport answering with `answer`, recording every request. */
function recording(answer: (request: AuthRequest) => Promise<AuthAnswer>): AuthTransport & { readonly asked: AuthRequest[] } {
  const asked: AuthRequest[] = [];
  return {
    asked,
    request: (request) => {
      asked.push(request);
      return answer(request);
    },
  };
}

describe('App with an authTransport', () => {
  it('logs in and refreshes through it, at the base URL, with a JSON body and a timeout', async () => {
    const transport = recording(async (request) =>
      request.url.endsWith('/auth/login') ? json(200, { userId: 'u1', accessToken: 'a1', refreshToken: 'r1' }) : json(200, { userId: 'u1', accessToken: 'a2' }),
    );
    const app = new App({ baseUrl: 'http://node.invalid:1', storageDir: join(dir, 'ok'), logger: silentLogger, authTransport: transport });
    try {
      const user = await app.logIn(Credentials.emailPassword('ann@example.com', 'pw'));
      expect(await user.refreshAccessToken()).toBe('a2');
      expect(user.id).toBe('u1');
      expect(transport.asked.map((r) => ({ url: r.url, method: r.method, body: JSON.parse(r.body) as unknown, type: r.headers['content-type'], timeoutMs: r.timeoutMs }))).toEqual([
        { url: 'http://node.invalid:1/auth/login', method: 'POST', body: { provider: 'emailPassword', email: 'ann@example.com', password: 'pw' }, type: 'application/json', timeoutMs: 15_000 },
        { url: 'http://node.invalid:1/auth/refresh', method: 'POST', body: { refreshToken: 'r1' }, type: 'application/json', timeoutMs: 15_000 },
      ]);
    } finally {
      app.close();
    }
  });

  it('a rejection is no answer (ServerUnreachableError, the next node asked); a 401 is a refusal', async () => {
    const down = recording(() => Promise.reject(new Error('cut')));
    const app = new App({ baseUrl: ['http://a.invalid:1', 'http://b.invalid:1'], storageDir: join(dir, 'down'), logger: silentLogger, authTransport: down });
    const failure: unknown = await app.logIn(Credentials.anonymous()).catch((e: unknown) => e);
    app.close();
    expect(failure).toBeInstanceOf(ServerUnreachableError);
    expect(down.asked.map((r) => r.url)).toEqual(['http://a.invalid:1/auth/login', 'http://b.invalid:1/auth/login']);

    const refusing = recording(async () => json(401, { error: 'wrong email or password' }));
    const other = new App({ baseUrl: 'http://a.invalid:1', storageDir: join(dir, 'refused'), logger: silentLogger, authTransport: refusing });
    const refusal: unknown = await other.logIn(Credentials.anonymous()).catch((e: unknown) => e);
    other.close();
    expect(refusal).toBeInstanceOf(AuthRefusedError);
    expect((refusal as AuthRefusedError).message).toBe('wrong email or password');
  });

  it('is checked like every option', () => {
    expect(() => new App({ baseUrl: 'http://a.invalid:1', storageDir: join(dir, 'bad'), authTransport: {} as AuthTransport })).toThrow(/authTransport must be an AuthTransport/);
  });
});
