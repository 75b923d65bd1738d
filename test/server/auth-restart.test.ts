import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { REVOCATIONS_FILE, USERS_FILE } from '../../src/server/storage/file/file-auth-store.js';
import { startTsxProcess, type TsxProcess } from '../support/tsx-process.js';
import { logIn } from '../support/wire-client.js';

const fixture = fileURLToPath(new URL('./fixtures/serve-auth.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'auth-restart-'));
const running: TsxProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const users = [
  { email: 'ann@example.com', password: 'ann-pw' },
  { email: 'bob@example.com', password: 'bob-pw' },
];

interface AuthServer {
  readonly url: string;
  readonly control: string;
  readonly process: TsxProcess;
}

async function start(dataDir: string): Promise<AuthServer> {
  const line = (output: string) => output.split('\n').find((l) => l.startsWith('{') && l.endsWith('}'));
  const child = await startTsxProcess([fixture, dataDir, JSON.stringify(users)], (output) => line(output) !== undefined);
  running.push(child);
  const { url, control } = JSON.parse(line(child.output())!) as { url: string; control: string };
  return { url, control, process: child };
}

async function revoke(server: AuthServer, userId: string): Promise<void> {
  const res = await fetch(`${server.control}/revoke`, { method: 'POST', body: userId });
  expect(res.status, await res.text()).toBe(200);
}

const refresh = (url: string, refreshToken: string) =>
  fetch(`${url}/auth/refresh`, { method: 'POST', body: JSON.stringify({ refreshToken }) }).then((res) => res.status);

const mode = (file: string) => statSync(file).mode & 0o777;

describe('auth state survives a server killed with SIGKILL', () => {
  it('a revocation acknowledged before the kill is in force after the restart; the users and their ids are kept', { timeout: 120_000 }, async () => {
    const dataDir = join(root, 'data');
    let kills = 0;

    // Users created at their first login, on disk before it is answered; killed at once.
    let server = await start(dataDir);
    const ann = await logIn(server.url, { provider: 'emailPassword', ...users[0] });
    const bob = await logIn(server.url, { provider: 'emailPassword', ...users[1] });
    await server.process.stop();
    kills++;
    expect(mode(join(dataDir, USERS_FILE))).toBe(0o600);
    const records = readFileSync(join(dataDir, USERS_FILE), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { email: string; userId: string });
    expect(records.map((r) => [r.email, r.userId])).toEqual([
      ['ann@example.com', ann.userId],
      ['bob@example.com', bob.userId],
    ]);

    server = await start(dataDir);
    expect((await logIn(server.url, { provider: 'emailPassword', ...users[1] })).userId).toBe(bob.userId);
    const anon = await logIn(server.url);
    await revoke(server, anon.userId);
    await revoke(server, ann.userId);
    // Killed right after the acknowledgement: nothing after it had a chance to write.
    await server.process.stop();
    kills++;
    expect(mode(join(dataDir, REVOCATIONS_FILE))).toBe(0o600);

    server = await start(dataDir);
    expect(await refresh(server.url, ann.refreshToken)).toBe(401);
    expect(await refresh(server.url, anon.refreshToken)).toBe(401);
    await expect(logIn(server.url, { provider: 'emailPassword', ...users[0] })).rejects.toThrow('401');
    const bobAgain = await logIn(server.url, { provider: 'emailPassword', ...users[1] });
    expect(bobAgain.userId).toBe(bob.userId);
    expect(await refresh(server.url, bob.refreshToken)).toBe(200);
    console.log(`auth-restart: ${kills} SIGKILLs, 2 revocations kept, ${users.length} users kept with their ids`);
  });
});
