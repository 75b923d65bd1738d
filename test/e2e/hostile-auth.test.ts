import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App, Credentials, MalformedAuthResponseError, MAX_USER_ID_LENGTH, Realm } from '../../src/index.js';
import { defaultRealmPath, legacyRealmPath } from '../../src/client/file-names.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { FakeAuthServer } from '../support/fake-auth-server.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/** Every entry under `dir`, recursively (bounded by the few files a test makes). */
const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => [join(dir, e.name), ...(e.isDirectory() ? walk(join(dir, e.name)) : [])]);

let server: FakeAuthServer;
let root: string;
let apps: App[];
beforeEach(async () => {
  apps = [];
  root = realpathSync(mkdtempSync(join(tmpdir(), 'hostile-auth-')));
  server = await new FakeAuthServer().start();
});
afterEach(async () => {
  for (const app of apps) app.close();
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** An app of the fake server whose storageDir is deep in `root`, so a `..` that escapes it still lands in `root`. */
const appOf = (): { app: App; storageDir: string } => {
  const storageDir = join(root, 'a', 'b', 'c', 'd', 'e', 'f', 'storage');
  mkdirSync(storageDir, { recursive: true });
  // One connection attempt per user: the fake refuses the socket, and the test needs no retries.
  const app = new App({ baseUrl: server.url, storageDir, lingerMs: 0, reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1 } });
  apps.push(app);
  return { app, storageDir };
};

const hostileUserId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('..', '.', '../../../x', '../../../../../../../../../../x', '..\\..\\x', '/etc/x', 'a/../../b', '\0', 'a\0b', '💥/../..'),
  fc.array(fc.constantFrom('..', '.', '/', '\\', '\0', 'x', 'é', '💥', ' '), { minLength: 1, maxLength: 30 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }),
  fc.string({ minLength: 200, maxLength: MAX_USER_ID_LENGTH }),
);

describe('a hostile auth endpoint', () => {
  it('a hostile userId from POST /auth/login never puts a realm file outside storageDir', async () => {
    const { app, storageDir } = appOf();
    let opened = 0;
    await fc.assert(
      fc.asyncProperty(hostileUserId, fc.constantFrom('p', '../p', '/'), async (userId, partition) => {
        server.answer = { userId, accessToken: 'access', refreshToken: 'refresh' };
        const user = await app.logIn(Credentials.anonymous());
        expect(user.id).toBe(userId);
        const realm = await Realm.open({ sync: { user, partition, stopPolicy: 'immediately' } });
        try {
          // Checked before the first write creates anything: an escaping path fails here, not on disk.
          expect(inside(storageDir, resolve(realm.path)), `${JSON.stringify(userId)} → ${realm.path}`).toBe(true);
          realm.write((tx) => tx.put('Task', 't', { n: 1 }));
          expect(existsSync(realm.path)).toBe(true);
          expect(inside(storageDir, realpathSync(realm.path))).toBe(true);
          opened++;
        } finally {
          realm.close();
        }
      }),
      { numRuns: 60, seed, examples: [['../../../x', 'p'], ['..', '../p']] },
    );
    const outside = walk(root).filter((p) => !inside(storageDir, p) && !storageDir.startsWith(p));
    expect(outside).toEqual([]);
    console.log(`hostile auth: 60 runs, seed ${seed}, ${server.logins} logins, ${opened} realm files written, all under storageDir, ${outside.length} entries outside`);
  });

  it('a realm an earlier version left under a plain raw user id is still found, not stranded', async () => {
    const { app, storageDir } = appOf();
    const legacy = legacyRealmPath(storageDir, 'user-0123456789abcdef', 'p')!;
    const old = RealmFile.open({ path: legacy });
    old.write((tx) => tx.put('Task', 'unsynced', { n: 1 }));
    old.close();
    server.answer = { userId: 'user-0123456789abcdef', accessToken: 'access', refreshToken: 'refresh' };
    const user = await app.logIn(Credentials.anonymous());
    const realm = await Realm.open({ sync: { user, partition: 'p', stopPolicy: 'immediately' } });
    expect(realm.path).toBe(legacy);
    expect(realm.objectForPrimaryKey('Task', 'unsynced')).toEqual({ n: 1 });
    realm.close();
    // A new partition of the same user goes to the encoded directory.
    const fresh = await Realm.open({ sync: { user, partition: 'q', stopPolicy: 'immediately' } });
    expect(fresh.path).toBe(defaultRealmPath(storageDir, user.id, 'q'));
    fresh.close();
  });

  it('a malformed login answer is refused with MalformedAuthResponseError, and nothing is stored', async () => {
    const { app, storageDir } = appOf();
    const answers: unknown[] = [
      {},
      [],
      'userId',
      null,
      { accessToken: 'a', refreshToken: 'r' },
      { userId: '', accessToken: 'a', refreshToken: 'r' },
      { userId: 42, accessToken: 'a', refreshToken: 'r' },
      { userId: ['..'], accessToken: 'a', refreshToken: 'r' },
      { userId: 'x'.repeat(MAX_USER_ID_LENGTH + 1), accessToken: 'a', refreshToken: 'r' },
      { userId: 'u', accessToken: 1, refreshToken: 'r' },
      { userId: 'u', accessToken: 'a' },
      { userId: 'u', accessToken: '', refreshToken: 'r' },
      { userId: 'u', accessToken: 'a'.repeat(20_000), refreshToken: 'r' },
    ];
    for (const answer of answers) {
      server.answer = answer;
      await expect(app.logIn(Credentials.anonymous()), JSON.stringify(answer)?.slice(0, 80)).rejects.toBeInstanceOf(MalformedAuthResponseError);
    }
    expect(server.logins).toBe(answers.length);
    expect(readdirSync(storageDir)).toEqual([]);
    console.log(`hostile auth: ${answers.length} malformed login answers, ${answers.length} refused`);
    // A well-formed answer from the same endpoint is taken.
    server.answer = { userId: 'u', accessToken: 'a', refreshToken: 'r' };
    await expect(app.logIn(Credentials.anonymous())).resolves.toMatchObject({ id: 'u' });
  });
});
