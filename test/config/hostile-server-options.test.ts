/**
 * `startServer(options)` under hostile configuration, nested `users[i]` and `loginAttempts`
 * included: a `TypeError` naming the field's path, never another crash, and a refused server
 * creates no `dataDir` and binds no port.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerOptions, type SyncServer } from '../../src/server/index.js';
import { applyMutation, expectAcceptable, expectRefusalNaming, hostileSeed, mutation, type OptionShape } from '../support/hostile-options.js';

const root = mkdtempSync(join(tmpdir(), 'hostile-server-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Listens on `port` of 127.0.0.1 and lets go: resolves true when nobody else holds it. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

let port = 0;
beforeAll(async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

const shape: OptionShape = {
  objects: {
    '': [
      'host', 'port', 'dataDir', 'users', 'permissions', 'accessTokenTtlMs', 'refreshTokenTtlMs', 'maxMessageBytes', 'secret', 'downloadBatchBytes',
      'historyRetentionMs', 'maxClockSkewMs', 'durability', 'loginAttempts', 'now', 'logger', 'maxSocketBufferBytes', 'maxFramesPerSecond', 'maxOpenHistories',
      'maxSessionsPerSocket', 'maxSocketsPerUser', 'headersTimeoutMs', 'requestTimeoutMs', 'maxConnections',
    ],
    loginAttempts: ['perEmail', 'perAddress', 'windowMs', 'maxTracked'],
    'users.0': ['email', 'password'],
  },
  leaves: [
    'host', 'port', 'dataDir', 'users', 'users.0', 'users.0.email', 'users.0.password', 'permissions', 'accessTokenTtlMs', 'refreshTokenTtlMs',
    'maxMessageBytes', 'secret', 'downloadBatchBytes', 'historyRetentionMs', 'maxClockSkewMs', 'durability', 'loginAttempts', 'loginAttempts.perEmail',
    'loginAttempts.windowMs', 'now', 'logger', 'maxSocketBufferBytes', 'maxFramesPerSecond', 'maxOpenHistories', 'maxSessionsPerSocket',
    'maxSocketsPerUser', 'headersTimeoutMs', 'requestTimeoutMs', 'maxConnections',
  ],
  valid: {
    maxFramesPerSecond: fc.integer({ min: 1, max: 2 ** 40 }),
    maxOpenHistories: fc.integer({ min: 1, max: 10_000 }),
    maxConnections: fc.integer({ min: 1, max: 100_000 }),
    headersTimeoutMs: fc.integer({ min: 100, max: 2 ** 31 - 1 }),
    requestTimeoutMs: fc.integer({ min: 10_000, max: 2 ** 31 - 1 }),
    accessTokenTtlMs: fc.integer({ min: 1, max: 10 * 365 * 86_400_000 }),
    historyRetentionMs: fc.integer({ min: 1, max: 10 * 365 * 86_400_000 }),
    'loginAttempts.perEmail': fc.integer({ min: 1, max: 1_000 }),
    durability: fc.constantFrom('full', 'batched'),
    secret: fc.string({ minLength: 16, maxLength: 40 }),
  },
};

describe('startServer refuses bad configuration by name', () => {
  it('no options at all, or neither dataDir nor postgres, is a TypeError saying one is required (it crashed reading logger of undefined); both is refused too', async () => {
    await expect((startServer as (options?: unknown) => Promise<SyncServer>)()).rejects.toThrow(
      new TypeError('startServer: options must be an object with at least dataDir (where histories live) or postgres (a database URL), got undefined'),
    );
    await expect(startServer({} as ServerOptions)).rejects.toThrow(
      new TypeError('startServer: dataDir (where histories live) or postgres (a database URL, for several nodes) is required'),
    );
    const dataDir = join(root, 'both');
    await expect(startServer({ dataDir, postgres: 'postgres://u@127.0.0.1:1/db' })).rejects.toThrow(/dataDir and postgres are two places for the same data/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('postgres must be a postgres:// or postgresql:// URL with a host; pollIntervalMs a timer; checked before anything is opened', async () => {
    for (const bad of ['', 'http://127.0.0.1/db', 'postgres://', 'not a url', 42, null]) {
      await expect(startServer({ postgres: bad as string })).rejects.toThrow(/postgres must be a postgres:\/\/ or postgresql:\/\/ URL/);
    }
    for (const bad of [0, -1, 1.5, 2 ** 31, '100']) {
      await expect(startServer({ postgres: 'postgres://u@127.0.0.1:1/db', pollIntervalMs: bad as number })).rejects.toThrow(/pollIntervalMs/);
    }
    await expect(startServer({ postgres: 'postgres://u@127.0.0.1:1/db', dropNotifications: 'yes' as never })).rejects.toThrow(/dropNotifications must be a function/);
    for (const bad of [0, 1, 1.5, 1_001, '10']) {
      await expect(startServer({ postgres: 'postgres://u@127.0.0.1:1/db', postgresPoolSize: bad as number })).rejects.toThrow(/postgresPoolSize/);
    }
  });

  it('a database that cannot be reached fails the start, naming it without its password', async () => {
    const start = startServer({ postgres: 'postgres://u:hunter2@127.0.0.1:1/db' });
    await expect(start).rejects.toThrow(/cannot open the PostgreSQL storage at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db: .*ECONNREFUSED/);
    await expect(start).rejects.not.toThrow(/hunter2/);
  });

  it('an unknown key names the nearest known one; keepalive-style zero or beyond-timer timeouts are refused', async () => {
    const dataDir = join(root, 'explicit');
    await expect(startServer({ dataDir, maxConnection: 5 } as never)).rejects.toThrow(new TypeError('startServer: unknown option maxConnection; did you mean maxConnections?'));
    await expect(startServer({ dataDir, users: [{ email: 'a@b', pasword: 'x' }] } as never)).rejects.toThrow(/unknown option users\[0\]\.pasword; did you mean users\[0\]\.password\?/);
    await expect(startServer({ dataDir, headersTimeoutMs: 0 })).rejects.toThrow(/headersTimeoutMs must be a number from 100 to 2,147,483,647 ms, got 0/);
    await expect(startServer({ dataDir, requestTimeoutMs: 2 ** 31 })).rejects.toThrow(/requestTimeoutMs .* got 2147483648/);
    await expect(startServer({ dataDir, maxOpenHistories: 2.5 })).rejects.toThrow(/maxOpenHistories must be a whole number from 1 /);
    await expect(startServer({ dataDir, downloadBatchBytes: 0.5 })).rejects.toThrow(/downloadBatchBytes must be a whole number/);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1024']) {
      await expect(startServer({ dataDir, foldTailBytes: bad as never })).rejects.toThrow(/foldTailBytes must be a whole number/);
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('passwordHashing must be an scrypt cost the server can check: N a power of two (2 to 2^20), r 1–32, p 1–16, nothing else', async () => {
    const dataDir = join(root, 'cost');
    for (const bad of [{ N: 3, r: 1, p: 1 }, { N: 1, r: 1, p: 1 }, { N: 2 ** 21, r: 1, p: 1 }, { N: 2, r: 0, p: 1 }, { N: 2, r: 33, p: 1 }, { N: 2, r: 1, p: 17 }, { N: 2, r: 1 }, { N: 2, r: 1, p: 1, x: 1 }, 'cheap', null]) {
      await expect(startServer({ dataDir, passwordHashing: bad as never })).rejects.toThrow(/passwordHashing must be \{ N, r, p \}/);
    }
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('startServer under random hostile configuration', () => {
  it('starts with valid options or rejects with a TypeError naming the exact field; a refused one creates nothing and binds nothing', async () => {
    let accepted = 0;
    let refused = 0;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        // Only 127.0.0.1, only this test's port and folder: no host name, port or path string from the generator.
        mutation(shape, (path, value) => !(['host', 'dataDir', 'port'].includes(path) && ((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65_535)))),
        async (m) => {
          run += 1;
          const dataDir = join(root, `run${run}`);
          const options = applyMutation({ dataDir, port, users: [{ email: 'a@example.com', password: 'pw' }] }, m);
          let server: SyncServer | undefined;
          try {
            server = await startServer(options as unknown as ServerOptions);
          } catch (error) {
            expectRefusalNaming(error, m, 'startServer');
            refused += 1;
          }
          if (server === undefined) {
            expect(existsSync(dataDir)).toBe(false);
            expect(await portIsFree(port)).toBe(true);
          } else {
            accepted += 1;
            expectAcceptable(m);
            await server.close();
          }
        },
      ),
      { numRuns: 150, seed: hostileSeed, endOnFailure: true },
    );
    console.log(`hostile startServer options: ${run} cases (${refused} refused, ${accepted} accepted), seed ${hostileSeed} (FC_SEED to replay)`);
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
  });
});
