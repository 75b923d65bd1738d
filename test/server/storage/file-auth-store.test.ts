import { nodeFileSystem } from '../../../src/store/file-system.js';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openFileAuthStore, REVOCATIONS_FILE, TOKEN_SECRET_FILE, USERS_FILE } from '../../../src/server/storage/file/file-auth-store.js';
import type { StoredUser } from '../../../src/server/storage/stored-user.js';
import { seededUniform } from '../../support/seeded-random.js';
import { startTsxProcess, type TsxProcess } from '../../support/tsx-process.js';
import { runAuthStoreAcceptance, type AuthRecordKind } from './auth-acceptance.js';

const root = mkdtempSync(join(tmpdir(), 'file-auth-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `data-${++dirs}`);

const fileOf = (kind: AuthRecordKind): string => (kind === 'user' ? USERS_FILE : REVOCATIONS_FILE);

runAuthStoreAcceptance('file', async () => {
  const dataDir = freshDir();
  // An empty dataDir, as a server makes it before it opens the store.
  mkdirSync(dataDir, { recursive: true });
  const append = (kind: AuthRecordKind, text: string) => appendFileSync(join(dataDir, fileOf(kind)), text, { mode: 0o600 });
  return {
    open: () => openFileAuthStore(nodeFileSystem, dataDir),
    teardown: async () => rmSync(dataDir, { recursive: true, force: true }),
    faults: {
      tearLastRecord: async (kind) => append(kind, kind === 'user' ? '{"email":"torn@example.com","userId":"to' : '{"revoked":"to'),
      damageRecord: async (kind) => {
        const path = join(dataDir, fileOf(kind));
        const lines = readFileSync(path, 'utf8').split('\n');
        // A whole line (its newline is there) that is no longer JSON: damage, not a torn write.
        lines[0] = lines[0]!.slice(0, -3);
        writeFileSync(path, lines.join('\n'));
        return `${path}: line 1 is damaged`;
      },
      forgeUser: async (record) => append('user', `${JSON.stringify(record)}\n`),
      forgeRevocation: async (userId) => append('revocation', `${JSON.stringify({ revoked: userId })}\n`),
      forgeSecret: async (secret) => writeFileSync(join(dataDir, TOKEN_SECRET_FILE), secret === '' ? '' : `${secret}\n`, { mode: 0o600 }),
    },
  };
});

describe('the file auth store', () => {
  it('reads and writes the files servers before it kept, line for line, each 0600', async () => {
    const dataDir = freshDir();
    const password = { algorithm: 'scrypt', N: 32768, r: 8, p: 1, salt: 'c2FsdHNhbHRzYWx0c2FsdA==', key: 'a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=' };
    const oldUsers = `${JSON.stringify({ email: 'ann@example.com', userId: 'user-0123456789abcdef', password })}\n`;
    const oldRevocations = '{"revoked":"anon-1"}\n';
    const oldSecret = `${'f'.repeat(64)}\n`;
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, USERS_FILE), oldUsers, { mode: 0o644 });
    writeFileSync(join(dataDir, REVOCATIONS_FILE), oldRevocations, { mode: 0o600 });
    writeFileSync(join(dataDir, TOKEN_SECRET_FILE), oldSecret, { mode: 0o600 });
    const store = await openFileAuthStore(nodeFileSystem, dataDir);
    try {
      expect(await store.users()).toEqual([{ email: 'ann@example.com', userId: 'user-0123456789abcdef', password }]);
      expect(await store.revokedUsers()).toEqual(['anon-1']);
      expect(await store.tokenSecret()).toBe('f'.repeat(64));
      // A field besides the stored ones does not reach the file.
      await store.addUser({ email: 'bob@example.com', userId: 'user-b', password: { ...password, algorithm: 'scrypt' }, note: 'not kept' } as StoredUser);
      await store.revoke('user-b');
      // Revoking again stores nothing more: not a line per logout of an already revoked user.
      await store.revoke('user-b');
      await store.revoke('anon-1');
    } finally {
      await store.close();
    }
    expect(readFileSync(join(dataDir, USERS_FILE), 'utf8')).toBe(`${oldUsers}${JSON.stringify({ email: 'bob@example.com', userId: 'user-b', password })}\n`);
    expect(readFileSync(join(dataDir, REVOCATIONS_FILE), 'utf8')).toBe(`${oldRevocations}{"revoked":"user-b"}\n`);
    expect(readFileSync(join(dataDir, TOKEN_SECRET_FILE), 'utf8')).toBe(oldSecret);
    for (const file of [USERS_FILE, REVOCATIONS_FILE, TOKEN_SECRET_FILE]) expect(statSync(join(dataDir, file)).mode & 0o777, file).toBe(0o600);
  });

  it('makes a missing dataDir, and the secret file as one 0600 line of its own', async () => {
    const dataDir = join(freshDir(), 'nested');
    const store = await openFileAuthStore(nodeFileSystem, dataDir);
    const secret = await store.tokenSecret();
    await store.close();
    expect(readFileSync(join(dataDir, TOKEN_SECRET_FILE), 'utf8')).toBe(`${secret}\n`);
    expect(statSync(join(dataDir, TOKEN_SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  });
});

describe('a process revoking users in a loop, killed with SIGKILL at a random instant', () => {
  const fixture = fileURLToPath(new URL('./fixtures/revoke-loop.ts', import.meta.url));
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  const running: TsxProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  });

  /** The ids the child printed whole (a line with its newline). */
  const printed = (output: string): string[] => output.split('\n').slice(0, -1).filter((line) => line.startsWith('u-'));

  it('every id it printed after revoke resolved is revoked after reopen, and nothing it did not begin', { timeout: 120_000 }, async () => {
    const random = seededUniform(seed);
    const dataDir = freshDir();
    const ROUNDS = 5;
    /** Every id revoked so far, in order, as the file must hold it. */
    let before: string[] = [];
    let acknowledged = 0;
    let unprintedKept = 0;
    let torn = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Killed after a random number of acknowledged revocations, then a random moment more.
      const target = 1 + Math.floor(random() * 300);
      const child = await startTsxProcess([fixture, dataDir, String(before.length), '1000000'], (output) => printed(output).length >= target);
      running.push(child);
      await new Promise((resolve) => setTimeout(resolve, random() * 5));
      await child.stop('SIGKILL');
      // What it wrote to the pipe before it died is still read after its exit.
      if (!child.child.stdout!.readableEnded) await new Promise((resolve) => child.child.stdout!.once('end', resolve));
      running.splice(running.indexOf(child), 1);
      const ids = printed(child.output());
      expect(ids.length).toBeGreaterThanOrEqual(target);
      const file = readFileSync(join(dataDir, REVOCATIONS_FILE));
      if (file.length > 0 && file[file.length - 1] !== 0x0a) torn++;

      const store = await openFileAuthStore(nodeFileSystem, dataDir);
      const revoked = await store.revokedUsers();
      await store.close();
      const kept = new Set(revoked);
      for (const id of ids) expect(kept.has(id), id).toBe(true);
      expect(revoked.slice(0, before.length)).toEqual(before);
      // After the earlier rounds' ids: the printed ones, then at most the one whose write began
      // before the kill (it may have reached the disk without being printed), nothing else.
      const thisRound = revoked.slice(before.length);
      expect(thisRound.slice(0, ids.length)).toEqual(ids);
      expect(thisRound.slice(ids.length)).toEqual(thisRound.length > ids.length ? [`u-${before.length + ids.length}`] : []);
      unprintedKept += thisRound.length - ids.length;
      acknowledged += ids.length;
      before = revoked.slice();
    }
    console.log(`revoke-loop SIGKILL: seed ${seed}, ${ROUNDS} kills, ${acknowledged} acknowledged revocations all kept, ${unprintedKept} kept unacknowledged, ${torn} torn last lines dropped`);
  });
});
