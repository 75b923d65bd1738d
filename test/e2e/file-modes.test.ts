import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SyncSession } from '../../src/index.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { eventually, Harness } from './harness.js';

/** The permission bits of `path`, as octal text ('600'), so a failure reads as a mode. */
const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);

/** Every entry under `dir` with its mode, recursively (a handful per test). */
const modesUnder = (dir: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((entry) => [entry.split(sep).join('/'), modeOf(join(dir, entry))]),
  );

let h: Harness;
let umask: number;
beforeAll(() => {
  // The most permissive umask: whatever mode a file gets, the code chose it.
  umask = process.umask(0o000);
});
afterAll(() => {
  process.umask(umask);
});
afterEach(async () => {
  await h.close();
});

describe('files the store, the client and the server create are private (0600, folders 0700) whatever the umask', () => {
  it('realm files, their folders, compaction and client-reset rewrites', async () => {
    h = await new Harness().start();
    const lazy = RealmFile.open({ path: join(h.dir, 'store', 'lazy', 'deep', 'a.realm'), createLazily: true });
    lazy.write((tx) => tx.put('Task', 'x', { n: 1 }));
    const eager = RealmFile.open({ path: join(h.dir, 'store', 'eager', 'b.realm') });
    eager.write((tx) => tx.put('Task', 'y', { n: 1 }));
    expect(modesUnder(join(h.dir, 'store'))).toEqual({ lazy: '700', 'lazy/deep': '700', 'lazy/deep/a.realm': '600', 'lazy/deep/a.realm.lock': '600', eager: '700', 'eager/b.realm': '600', 'eager/b.realm.lock': '600' });
    eager.compact();
    eager.resetForClientReset('discard');
    lazy.compact();
    expect(modesUnder(join(h.dir, 'store'))).toEqual({ lazy: '700', 'lazy/deep': '700', 'lazy/deep/a.realm': '600', 'lazy/deep/a.realm.lock': '600', eager: '700', 'eager/b.realm': '600', 'eager/b.realm.lock': '600' });
    lazy.close();
    eager.close();
  });

  it('the server dataDir, its secret and histories; the client storageDir folders, realm files, pending actions and backups', async () => {
    h = await new Harness().start({ permissions: (_u, partition) => (partition === 'ro' ? 'none' : 'readWrite') });
    const dataDir = join(h.dir, 'server');
    const a = await h.client('p', { clientReset: { mode: 'manual' } });
    const s = a.realm.syncSession!;
    a.realm.write((tx) => tx.put('Task', 'synced', { n: 1 }));
    await s.waitForUpload(AbortSignal.timeout(10_000));
    // A permission error records its action in pending-error-actions.json.
    const ro = await h.client('ro', {}, a.app);
    ro.realm.write((tx) => tx.put('Task', 'forbidden', { n: 1 }));
    await eventually(() => ro.errors.length > 0, 'the permission error', 10_000);
    const storageDir = join(h.dir, 'app0');
    expect(modeOf(join(storageDir, 'pending-error-actions.json'))).toBe('600');
    // A reset partition rewrites its history; the client's manual reset leaves a backup.
    await h.server.resetPartition('p');
    await eventually(() => a.errors.some((e) => e.category === 'clientReset'), 'the client reset', 10_000);
    a.realm.close();
    const backup = SyncSession.immediatelyHandleError(a.errors.find((e) => e.category === 'clientReset')!.actionToken!, a.app.syncManager)!;
    expect(modeOf(backup)).toBe('600');

    const server = modesUnder(dataDir);
    const client = modesUnder(storageDir);
    const loose = Object.entries({ ...prefixed('server', server), ...prefixed('client', client) }).filter(([path, mode]) => mode !== (isDirectory(path) ? '700' : '600'));
    expect(loose).toEqual([]);
    expect(modeOf(dataDir)).toBe('700');
    expect(modeOf(storageDir)).toBe('700');
    expect(Object.keys(server).filter((p) => /partitions\/[^/]+\/(state|tail-\d+\.log)$/.test(p)).length).toBeGreaterThanOrEqual(1);
    expect(Object.keys(client).filter((p) => p.endsWith('.realm')).length).toBeGreaterThanOrEqual(1);
    console.log(`file modes (umask 000): server ${JSON.stringify(server)}; client ${JSON.stringify(client)}`);

    function prefixed(prefix: string, modes: Record<string, string>): Record<string, string> {
      return Object.fromEntries(Object.entries(modes).map(([p, m]) => [`${prefix === 'server' ? dataDir : storageDir}${sep}${p}`, m]));
    }
    function isDirectory(path: string): boolean {
      return statSync(path).isDirectory();
    }
  });
});
