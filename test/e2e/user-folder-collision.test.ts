/**
 * Synced realms live in a folder per user named by `fileNameStem(userId)`, and a realm left by
 * an earlier version under the raw user id is still opened (`legacyRealmPath`). A user whose id
 * is another user's stem (`bob-<12 hex>`: letters, digits and `-`, so a plain component) had
 * that other user's folder as their "legacy" one: on a shared app, Mallory logging in as
 * `fileNameStem('bob')` opened Bob's realm file, his local documents included. A folder this
 * version makes names its user (`.user-id`), and the legacy fallback refuses a folder that
 * names someone else; a legacy folder (no name in it) is still taken.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App, Credentials, Realm } from '../../src/index.js';
import { fileNameStem, legacyRealmPath } from '../../src/client/file-names.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { FakeAuthServer } from '../support/fake-auth-server.js';

let server: FakeAuthServer;
let root: string;
let app: App | undefined;
beforeEach(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'user-folders-')));
  server = await new FakeAuthServer().start();
});
afterEach(async () => {
  app?.close();
  app = undefined;
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** An app of the fake auth server (its sync socket is refused: realms stay local). */
function newApp(storageDir: string): App {
  app = new App({ baseUrl: server.url, storageDir, lingerMs: 0, reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1 } });
  return app;
}

async function openAs(a: App, userId: string, partition: string): Promise<Realm> {
  server.answer = { userId, accessToken: 'access', refreshToken: 'refresh' };
  const user = await a.logIn(Credentials.anonymous());
  return Realm.open({ sync: { user, partition, onError: () => undefined } });
}

describe("user folders: one user's id that is another's folder name", () => {
  it("Mallory, whose id is fileNameStem('bob'), does not open Bob's realm on the same app", async () => {
    const storageDir = join(root, 'storage');
    const a = newApp(storageDir);
    const bob = await openAs(a, 'bob', 'p');
    bob.write((tx) => tx.put('Note', 'secret', { text: "bob's" }));
    const bobPath = bob.path;
    bob.close();

    a.close();

    // The next start of the app on the shared device: Mallory logs in.
    const malloryId = fileNameStem('bob');
    expect(legacyRealmPath(storageDir, malloryId, 'p')).toBe(bobPath);
    const b = newApp(storageDir);
    const mallory = await openAs(b, malloryId, 'p');
    const seen = mallory.objects('Note').map((o) => o.id);
    console.log(`user folder collision: Mallory (${malloryId}) opened ${mallory.path === bobPath ? "Bob's file" : 'a file of her own'}, saw ${JSON.stringify(seen)}`);
    expect(mallory.path).not.toBe(bobPath);
    expect(seen).toEqual([]);
    mallory.close();
    b.close();
    // Bob's file still holds his note, and is still his.
    const again = await openAs(newApp(storageDir), 'bob', 'p');
    expect(again.path).toBe(bobPath);
    expect(again.objects('Note').map((o) => o.id)).toEqual(['secret']);
    again.close();
    expect(readFileSync(join(dirname(bobPath), '.user-id'), 'utf8')).toBe('bob');
  });

  it('a legacy folder under the raw id (nothing names its user) is still opened, a UUID id included', async () => {
    const storageDir = join(root, 'storage');
    const userId = '123e4567-e89b-12d3-a456-426614174000';
    const legacy = legacyRealmPath(storageDir, userId, 'p')!;
    mkdirSync(dirname(legacy), { recursive: true });
    const old = RealmFile.open({ path: legacy });
    old.write((tx) => tx.put('Note', 'old', { text: 'kept' }));
    old.close();
    const realm = await openAs(newApp(storageDir), userId, 'p');
    expect(realm.path).toBe(legacy);
    expect(realm.objects('Note').map((o) => o.id)).toEqual(['old']);
    realm.close();
  });
});
