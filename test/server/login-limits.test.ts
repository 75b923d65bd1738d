import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startServer, type ServerOptions, type SyncServer } from '../../src/server/index.js';
import { LoginLimiter } from '../../src/server/login-limiter.js';

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

describe('LoginLimiter memory', () => {
  it('a flood of distinct emails and addresses keeps at most maxTracked windows of each', () => {
    let now = 0;
    const limiter = new LoginLimiter({ perEmail: 2, perAddress: 2, windowMs: WINDOW, maxTracked: 100 }, () => now);
    const FLOOD = 20_000;
    let admitted = 0;
    for (let i = 0; i < FLOOD; i++) {
      if (limiter.begin(`${'x'.repeat(1_000)}-${i}@example.com`, `10.0.${i >> 8}.${i & 255}`).ok) admitted++;
      now += 1;
    }
    expect(limiter.tracked).toEqual({ emails: 100, addresses: 100 });
    expect(admitted).toBe(FLOOD);
    console.log(`login-limits: ${FLOOD} distinct 1 KB emails and addresses in one window, ${limiter.tracked.emails} + ${limiter.tracked.addresses} tracked (bound 100 each)`);
    // The newest windows are the ones kept: a recent email still counts its failures.
    const last = `${'x'.repeat(1_000)}-${FLOOD - 1}@example.com`;
    expect(limiter.begin(last, 'other').ok).toBe(true);
    expect(limiter.begin(last, 'other')).toEqual({ ok: false, retryAfterMs: FLOOD - 1 + WINDOW - now });
    // Ended windows are dropped as new ones open.
    now += WINDOW;
    limiter.begin('fresh@example.com', 'fresh');
    expect(limiter.tracked).toEqual({ emails: 1, addresses: 1 });
  });

  it('a flood of other emails from other addresses does not push out a blocked email: it stays blocked', () => {
    let now = 0;
    const limiter = new LoginLimiter({ perEmail: 3, perAddress: 3, windowMs: WINDOW, maxTracked: 100 }, () => now);
    for (let i = 0; i < 3; i++) expect(limiter.begin('ann@example.com', '192.0.2.1').ok).toBe(true);
    expect(limiter.begin('ann@example.com', '192.0.2.2').ok).toBe(false);
    // An attacker with many addresses fails at many emails, to make the table forget ann.
    const FLOOD = 1_000;
    for (let i = 0; i < FLOOD; i++) {
      now += 1;
      limiter.begin(`other-${i}@example.com`, `198.51.${i >> 8}.${i & 255}`);
    }
    const again = limiter.begin('ann@example.com', '203.0.113.9');
    console.log(`login-limits: ann blocked, then ${FLOOD} failures at distinct emails from distinct addresses (maxTracked 100): ann ${again.ok ? 'admitted again' : 'still refused'}; tracked ${JSON.stringify(limiter.tracked)}`);
    expect(again.ok).toBe(false);
    expect(limiter.tracked.emails).toBeLessThanOrEqual(100);
  });

  it('an IPv4 client is one address however the socket spells it, and an IPv6 client one per /64', () => {
    const limiter = new LoginLimiter({ perEmail: 1_000, perAddress: 2, windowMs: WINDOW, maxTracked: 100 }, () => 0);
    expect(limiter.begin('a@example.com', '192.0.2.7').ok).toBe(true);
    expect(limiter.begin('b@example.com', '::ffff:192.0.2.7').ok).toBe(true);
    expect(limiter.begin('c@example.com', '::FFFF:192.0.2.7').ok).toBe(false);
    // One host holds a whole /64: each of its addresses is the same client.
    expect(limiter.begin('d@example.com', '2001:db8:1:2::1').ok).toBe(true);
    expect(limiter.begin('e@example.com', '2001:0db8:0001:0002:ffff:0:0:9').ok).toBe(true);
    expect(limiter.begin('f@example.com', '2001:db8:1:2:abcd::%eth0').ok).toBe(false);
    expect(limiter.begin('g@example.com', '2001:db8:1:3::1').ok).toBe(true);
    expect(limiter.tracked.addresses).toBe(3);
  });
});
