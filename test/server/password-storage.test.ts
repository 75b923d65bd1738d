import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { hashPassword, verifyPassword } from '../../src/server/password-hash.js';
import { USERS_FILE } from '../../src/server/storage/file/file-auth-store.js';
import type { StoredUser } from '../../src/server/storage/stored-user.js';
import { logIn } from '../support/wire-client.js';

const root = mkdtempSync(join(tmpdir(), 'password-storage-'));
const servers: SyncServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PASSWORD = 'correct horse battery staple';
const login = (url: string, email: string, password: string) =>
  fetch(`${url}/auth/login`, { method: 'POST', body: JSON.stringify({ provider: 'emailPassword', email, password }) }).then((res) => res.status);
const stored = (dataDir: string): StoredUser[] =>
  readFileSync(join(dataDir, USERS_FILE), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as StoredUser);

describe('emailPassword users are kept as salted scrypt hashes', () => {
  it('two users with one password get different records; none holds the password or its SHA-256', { timeout: 60_000 }, async () => {
    const dataDir = join(root, 'same-password');
    const server = await startServer({ dataDir, users: [{ email: 'ann@example.com', password: PASSWORD }, { email: 'bob@example.com', password: PASSWORD }] });
    servers.push(server);
    // Records are made at a user's first login.
    expect(await login(server.url, 'ann@example.com', PASSWORD)).toBe(200);
    expect(await login(server.url, 'BOB@example.com', PASSWORD)).toBe(200);
    const file = readFileSync(join(dataDir, USERS_FILE), 'utf8');
    const records = stored(dataDir);
    expect(records.map((r) => r.email).sort()).toEqual(['ann@example.com', 'bob@example.com']);
    const [a, b] = records as [StoredUser, StoredUser];
    expect(a.password).toMatchObject({ algorithm: 'scrypt', N: 2 ** 15, r: 8, p: 1 });
    expect(a.password.salt).not.toBe(b.password.salt);
    expect(a.password.key).not.toBe(b.password.key);
    const sha = createHash('sha256').update(PASSWORD).digest();
    for (const form of [PASSWORD, sha.toString('hex'), sha.toString('base64'), sha.toString('base64url')]) expect(file).not.toContain(form);
    expect(statSync(join(dataDir, USERS_FILE)).mode & 0o777).toBe(0o600);

    expect(await login(server.url, 'ann@example.com', PASSWORD)).toBe(200);
    expect(await login(server.url, 'ann@example.com', `${PASSWORD}!`)).toBe(401);
    expect(await login(server.url, 'ann@example.com', '')).toBe(401);
    expect(await login(server.url, 'carol@example.com', PASSWORD)).toBe(401);
  });

  it('a restart keeps the records; a changed password gets a new salt, the user keeps its id', { timeout: 60_000 }, async () => {
    const dataDir = join(root, 'restart');
    const first = await startServer({ dataDir, users: [{ email: 'ann@example.com', password: 'old' }] });
    const before = await logIn(first.url, { provider: 'emailPassword', email: 'ann@example.com', password: 'old' });
    await first.close();
    const written = readFileSync(join(dataDir, USERS_FILE), 'utf8');

    const same = await startServer({ dataDir, users: [{ email: 'ann@example.com', password: 'old' }] });
    servers.push(same);
    expect(await login(same.url, 'ann@example.com', 'old')).toBe(200);
    expect(readFileSync(join(dataDir, USERS_FILE), 'utf8')).toBe(written);
    await same.close();

    const changed = await startServer({ dataDir, users: [{ email: 'ann@example.com', password: 'new' }] });
    servers.push(changed);
    expect(await login(changed.url, 'ann@example.com', 'old')).toBe(401);
    const after = await logIn(changed.url, { provider: 'emailPassword', email: 'ann@example.com', password: 'new' });
    const records = stored(dataDir);
    expect(records).toHaveLength(2);
    expect(records[1]!.password.salt).not.toBe(records[0]!.password.salt);
    expect(after.userId).toBe(before.userId);
  });

  it('hashes off the event loop: a timer set after the call runs before the hash is ready', async () => {
    let ticked = false;
    const hashing = hashPassword(PASSWORD).then((hash) => ({ hash, tickedFirst: ticked }));
    setImmediate(() => {
      ticked = true;
    });
    const { hash, tickedFirst } = await hashing;
    expect(tickedFirst).toBe(true);
    expect(await verifyPassword(PASSWORD, hash)).toBe(true);
    expect(await verifyPassword(PASSWORD.toUpperCase(), hash)).toBe(false);
    expect((await hashPassword(PASSWORD)).key).not.toBe(hash.key);
  });
});
