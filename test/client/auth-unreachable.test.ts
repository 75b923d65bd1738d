/**
 * An auth request that gets no answer says where it went and why: `fetch` alone rejects with a
 * bare "fetch failed". Against a real port on 127.0.0.1 that nothing listens on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthRefusedError, requestRefresh } from '../../src/client/auth-client.js';
import { AuthNodes } from '../../src/client/auth-nodes.js';
import { fetchAuthTransport } from '../../src/transport/fetch-auth-transport.js';
import { App, Credentials, ServerUnreachableError, silentLogger, User } from '../../src/index.js';
import { startServer } from '../../src/server/index.js';

const dir = mkdtempSync(join(tmpdir(), 'auth-unreachable-'));
let closedUrl: string;
beforeAll(async () => {
  // A port that was just free and is closed again: connecting to it is refused.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  closedUrl = `http://127.0.0.1:${port}`;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('auth requests to a server that is down', () => {
  it('app.logIn rejects with ServerUnreachableError naming the URL and ECONNREFUSED', async () => {
    const app = new App({ baseUrl: closedUrl, storageDir: join(dir, 'login'), logger: silentLogger });
    const error: unknown = await app.logIn(Credentials.anonymous()).catch((e: unknown) => e);
    app.close();
    expect(error).toBeInstanceOf(ServerUnreachableError);
    const unreachable = error as ServerUnreachableError;
    expect(unreachable.url).toBe(`${closedUrl}/auth/login`);
    expect(unreachable.code).toBe('ECONNREFUSED');
    expect(unreachable.message).toContain(`${closedUrl}/auth/login`);
    expect(unreachable.message).toContain('ECONNREFUSED');
    expect(unreachable.cause).toBeInstanceOf(Error);
  });

  it('a token refresh rejects the same way, and the user stays logged in (no answer is no refusal)', async () => {
    const error: unknown = await requestRefresh(fetchAuthTransport, closedUrl, 'a-refresh-token').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerUnreachableError);
    expect((error as ServerUnreachableError).url).toBe(`${closedUrl}/auth/refresh`);
    expect((error as ServerUnreachableError).code).toBe('ECONNREFUSED');

    const user = new User(new AuthNodes([closedUrl]), { userId: 'u', accessToken: 'a', refreshToken: 'r' });
    const failure: unknown = await user.refreshAccessToken().catch((e: unknown) => e);
    expect(failure).toMatchObject({ refused: false });
    expect((failure as { message: string }).message).toContain(`${closedUrl}/auth/refresh`);
    expect((failure as { message: string }).message).toContain('ECONNREFUSED');
    expect(user.isLoggedIn).toBe(true);
  });

  it('a server that answers with a refusal still rejects with AuthRefusedError', async () => {
    const server = await startServer({ dataDir: join(dir, 'server'), users: [{ email: 'ann@example.com', password: 'right' }], logger: silentLogger });
    const app = new App({ baseUrl: server.url, storageDir: join(dir, 'refused'), logger: silentLogger });
    try {
      const error: unknown = await app.logIn(Credentials.emailPassword('ann@example.com', 'wrong')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthRefusedError);
      expect(error).not.toBeInstanceOf(ServerUnreachableError);
    } finally {
      app.close();
      await server.close();
    }
  });
});
