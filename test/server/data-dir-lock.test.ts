import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileLockedError, startServer } from '../../src/server/index.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { useTempDir } from '../store/temp-dir.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { SyncDriver } from '../support/sync-driver.js';
import { is, logIn, WireClient } from '../support/wire-client.js';

const tempDir = useTempDir('data-dir-lock');
const servers: ServerProcess[] = [];
const realms: RealmFile[] = [];
const drivers: SyncDriver[] = [];

// Registered before anything starts: no test leaves a server process behind, even when it fails.
afterEach(async () => {
  drivers.splice(0).forEach((d) => d.close());
  realms.splice(0).forEach((r) => r.close());
  await Promise.all(servers.splice(0).map((s) => s.kill()));
});

async function serverProcess(dataDir: string): Promise<ServerProcess> {
  const server = await startServerProcess(dataDir);
  servers.push(server);
  return server;
}

/** The client versions of `origin` in the history of `partition`, as a fresh reader downloads them. */
async function versionsOf(url: string, token: string, partition: string, origin: string): Promise<number[]> {
  const reader = await WireClient.connect(url);
  try {
    reader.send({ type: 'bind', session: 1, partition, token });
    reader.send({ type: 'ident', session: 1, fileIdent: `reader-${Date.now()}` });
    const versions: number[] = [];
    for (;;) {
      const d = await reader.next(is('download', 1), 10_000);
      if (d.type !== 'download') continue;
      for (const c of d.changesets) if (c.origin === origin) versions.push(c.clientVersion);
      if (d.downloadableBytes === 0) return versions;
    }
  } finally {
    reader.close();
  }
}

/** Writes `n` changesets and waits until the server acknowledged all of them. */
async function writeAndSync(realm: RealmFile, driver: SyncDriver, n: number): Promise<void> {
  for (let i = 0; i < n; i++) realm.write((tx) => tx.put('Task', `t${realm.clientVersion + 1}`, { i }));
  driver.upload();
  await driver.syncAll(30_000);
  expect(realm.cursors.upload.clientVersion).toBe(realm.clientVersion);
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, k) => k + 1);

describe('a server data directory has one server: the OS lock on <dataDir>/.lock', () => {
  it('a second server is refused with FileLockedError; the first serves on with every acknowledged changeset; after SIGKILL a new one starts', async () => {
    const dataDir = join(tempDir(), 'server');
    const first = await serverProcess(dataDir);
    const user = await logIn(first.url);
    const realm = RealmFile.open({ path: join(tempDir(), 'client.realm') });
    realms.push(realm);
    const driver = new SyncDriver(realm, first.url, user.accessToken, 'locked');
    drivers.push(driver);
    await driver.connect();
    await writeAndSync(realm, driver, 100);

    // Another process: it exits before it listens, saying why.
    const refused = await startServerProcess(dataDir).then(
      (second) => {
        servers.push(second);
        return undefined;
      },
      (error: unknown) => String(error),
    );
    expect(refused).toMatch(/FileLockedError/);
    expect(refused).toContain(`${dataDir} is already open in process ${first.child.pid}`);

    // This process, with the typed error.
    const inProcess = await startServer({ dataDir, port: 0 }).then(
      async (second) => {
        await second.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(inProcess).toBeInstanceOf(FileLockedError);
    expect(inProcess).toMatchObject({ path: dataDir, holderPid: first.child.pid, lockPath: join(dataDir, '.lock') });

    // The first server did not notice: the same socket goes on being served.
    expect(driver.connected).toBe(true);
    await writeAndSync(realm, driver, 100);
    expect(await versionsOf(first.url, user.accessToken, 'locked', realm.fileIdent)).toEqual(upTo(200));

    driver.close();
    await first.kill();
    // At once: the kernel dropped the dead server's lock.
    const next = await serverProcess(dataDir);
    expect(await versionsOf(next.url, user.accessToken, 'locked', realm.fileIdent)).toEqual(upTo(200));
    console.log(`200 of 200 acknowledged changesets kept; second server refused (holder pid ${first.child.pid}); a server started after SIGKILL`);
  }, 120_000);

  it('in one process: a second startServer on the dataDir rejects until the first closes', async () => {
    const dataDir = join(tempDir(), 'in-process');
    const first = await startServer({ dataDir, port: 0 });
    try {
      await expect(startServer({ dataDir, port: 0 })).rejects.toBeInstanceOf(FileLockedError);
    } finally {
      await first.close();
    }
    const again = await startServer({ dataDir, port: 0 });
    await again.close();
  });

  it('a start that fails after opening part of dataDir (a damaged revocation list) holds no file of it, lock included', async () => {
    const dataDir = join(tempDir(), 'damaged');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'revoked-users.jsonl'), '{"revoked":"a"}\nnot json\n');
    /** This process's descriptors on files under dataDir (Linux: /proc/self/fd). */
    const held = (): string[] =>
      readdirSync('/proc/self/fd').flatMap((fd) => {
        try {
          const target = readlinkSync(`/proc/self/fd/${fd}`);
          return target.startsWith(dataDir) ? [target] : [];
        } catch {
          return []; // the descriptor readdir itself used, closed by now
        }
      });
    for (let attempt = 1; attempt <= 3; attempt++) await expect(startServer({ dataDir, port: 0 })).rejects.toThrow('line 2 is damaged');
    const left = held();
    console.log(`data-dir-lock: 3 failed starts; descriptors left on dataDir: ${left.length} ${JSON.stringify(left)}`);
    expect(left).toEqual([]);
  });
});
