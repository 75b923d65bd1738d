import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startServer, type ServerOptions, type SyncServer } from '../../src/server/index.js';
import { memoryLoginAttempts } from '../../src/server/storage/memory-login-attempts.js';
import { runLoginLimiterAcceptance } from './login-limiter-acceptance.js';

const root = mkdtempSync(join(tmpdir(), 'login-limits-'));
const servers: SyncServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const WINDOW = 60_000;
let clock = 1_800_000_000_000;
let dirs = 0;

async function start(options: Partial<ServerOptions>): Promise<SyncServer> {
  const server = await startServer({ dataDir: join(root, `s${dirs++}`), now: () => clock, users: [{ email: 'ann@example.com', password: 'right' }], ...options });
  servers.push(server);
  return server;
}

const login = async (url: string, email: string, password: string) => {
  const res = await fetch(`${url}/auth/login`, { method: 'POST', body: JSON.stringify({ provider: 'emailPassword', email, password }) });
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
};

describe('failed logins are limited per email and per address', () => {
  it('per email: after the limit even the right password gets 429 with Retry-After, until the window ends', { timeout: 60_000 }, async () => {
    const server = await start({ loginAttempts: { perEmail: 3, perAddress: 1_000, windowMs: WINDOW } });
    const opened = clock;
    for (let i = 0; i < 3; i++) expect((await login(server.url, 'ann@example.com', `guess-${i}`)).status).toBe(401);
    clock += 10_000;
    const refused = await login(server.url, 'ANN@example.com', 'right');
    expect(refused).toEqual({ status: 429, retryAfter: String((opened + WINDOW - clock) / 1000) });
    // Other emails from the same address are not held up by ann's limit.
    expect((await login(server.url, 'bob@example.com', 'x')).status).toBe(401);
    clock = opened + WINDOW;
    expect((await login(server.url, 'ann@example.com', 'right')).status).toBe(200);
    // A success forgets the email's failures: three more wrong guesses are answered 401 again.
    for (let i = 0; i < 3; i++) expect((await login(server.url, 'ann@example.com', `again-${i}`)).status).toBe(401);
    expect((await login(server.url, 'ann@example.com', 'again-4')).status).toBe(429);
    console.log('login-limits: per email 3 refusals (401), then 429 (also for the right password), 200 after the window');
  });

  it('per address: wrong guesses at many emails from one address get 429', { timeout: 60_000 }, async () => {
    const server = await start({ loginAttempts: { perEmail: 1_000, perAddress: 5, windowMs: WINDOW } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await login(server.url, `user-${i}@example.com`, 'guess')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect((await login(server.url, 'ann@example.com', 'right')).status).toBe(429);
    clock += WINDOW;
    expect((await login(server.url, 'ann@example.com', 'right')).status).toBe(200);
  });

  it('guesses sent at once cannot slip past the limit while their hashes are computed', { timeout: 60_000 }, async () => {
    const server = await start({ loginAttempts: { perEmail: 3, windowMs: WINDOW } });
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => login(server.url, 'ann@example.com', `guess-${i}`).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
    console.log(`login-limits: 20 concurrent guesses, ${statuses.filter((s) => s === 401).length} checked, ${statuses.filter((s) => s === 429).length} refused with 429`);
  });

  it('refuses bad limits with a TypeError naming the field', async () => {
    const dataDir = join(root, 'bad');
    await expect(startServer({ dataDir, loginAttempts: { perEmail: 0 } })).rejects.toThrow('loginAttempts.perEmail');
    await expect(startServer({ dataDir, loginAttempts: { perEmail: 0 } })).rejects.toBeInstanceOf(TypeError);
    await expect(startServer({ dataDir, loginAttempts: { perAddress: 1.5 } })).rejects.toThrow('loginAttempts.perAddress');
    await expect(startServer({ dataDir, loginAttempts: { windowMs: -1 } })).rejects.toThrow('loginAttempts.windowMs');
    await expect(startServer({ dataDir, loginAttempts: { maxTracked: Number.NaN } })).rejects.toThrow('loginAttempts.maxTracked');
    await expect(startServer({ dataDir, loginAttempts: { perEmails: 3 } as never })).rejects.toThrow('loginAttempts.perEmails');
    await expect(startServer({ dataDir, loginAttempts: 5 as never })).rejects.toThrow('loginAttempts');
    await expect(startServer({ dataDir, now: 5 as never })).rejects.toThrow('now');
  });
});

// The memory store (the file backend's) sweeps at every attempt: the suite's exact bounds.
runLoginLimiterAcceptance('memory', () => Promise.resolve({ open: memoryLoginAttempts, sweepEvery: 1, teardown: () => Promise.resolve() }), { flood: 20_000 });
