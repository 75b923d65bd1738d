import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RealmFile } from '../../src/store/realm-file.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { SyncDriver } from '../support/sync-driver.js';
import { is, logIn, WireClient } from '../support/wire-client.js';

const root = mkdtempSync(join(tmpdir(), 'server-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Registered before any server starts: a failing test leaves no server process behind.
const servers: ServerProcess[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.kill()));
});

async function serverProcess(dataDir: string): Promise<ServerProcess> {
  const server = await startServerProcess(dataDir);
  servers.push(server);
  return server;
}

const WRITES = 150;

/** Every changeset in the history, by origin, as a fresh reader downloads it. */
const historyByOrigin = (url: string, token: string) => historyOf(url, token, 'crash');

/** Every changeset in `partition`'s history, by origin, as a fresh reader downloads it. */
async function historyOf(url: string, token: string, partition: string): Promise<Map<string, number[]>> {
  const reader = await WireClient.connect(url);
  reader.send({ type: 'bind', session: 1, partition, token });
  reader.send({ type: 'ident', session: 1, fileIdent: `reader-${Date.now()}` });
  const byOrigin = new Map<string, number[]>();
  for (;;) {
    const d = await reader.next(is('download', 1));
    if (d.type !== 'download') continue;
    for (const c of d.changesets) byOrigin.set(c.origin, [...(byOrigin.get(c.origin) ?? []), c.clientVersion]);
    if (d.downloadableBytes === 0) break;
  }
  reader.close();
  return byOrigin;
}

describe('server killed with SIGKILL while clients upload', () => {
  it('keeps every acknowledged changeset; clients re-upload the rest; nothing is duplicated', async () => {
    const dataDir = join(root, 'server');
    let server: ServerProcess = await serverProcess(dataDir);
    const user = await logIn(server.url);
    const realms = ['a', 'b'].map((name) => RealmFile.open({ path: join(root, `${name}.realm`) }));
    let drivers = realms.map((realm) => new SyncDriver(realm, server.url, user.accessToken, 'crash'));
    await Promise.all(drivers.map((d) => d.connect()));

    // Write and upload in a loop; kill the server once some of it is acknowledged.
    let killed = false;
    const acked: number[] = [];
    for (let i = 1; i <= WRITES; i++) {
      realms.forEach((realm, r) => {
        realm.write((tx) => tx.put('Task', `${r}-${i}`, { i, writer: r }));
        drivers[r]!.upload();
      });
      await new Promise((resolve) => setImmediate(resolve));
      if (!killed && realms.every((realm) => realm.cursors.upload.clientVersion >= 20)) {
        acked.push(...realms.map((realm) => realm.cursors.upload.clientVersion));
        await server.kill();
        killed = true;
      }
    }
    expect(killed).toBe(true);
    drivers.forEach((d) => d.close());

    server = await serverProcess(dataDir);
    const afterCrash = await historyByOrigin(server.url, user.accessToken);
    realms.forEach((realm, r) => {
      const versions = afterCrash.get(realm.fileIdent) ?? [];
      // Everything acknowledged before the kill survived it, in order, once.
      expect(versions.slice(0, acked[r]!)).toEqual(Array.from({ length: acked[r]! }, (_, k) => k + 1));
    });

    drivers = realms.map((realm) => new SyncDriver(realm, server.url, user.accessToken, 'crash'));
    await Promise.all(drivers.map((d) => d.connect()));
    await Promise.all(drivers.map((d) => d.syncAll()));
    await Promise.all(drivers.map((d) => d.syncAll()));
    const final = await historyByOrigin(server.url, user.accessToken);
    for (const realm of realms) {
      expect(final.get(realm.fileIdent)).toEqual(Array.from({ length: WRITES }, (_, k) => k + 1));
      expect(realm.objects('Task')).toHaveLength(2 * WRITES);
    }
    expect(realms[0]!.objects('Task')).toEqual(realms[1]!.objects('Task'));
    drivers.forEach((d) => d.close());
    realms.forEach((realm) => realm.close());
    await server.kill();
  }, 120_000);
});

describe('server killed before anything was written to a partition', () => {
  it("costs its clients no reset: the partition's epoch was never durable, and a client holding nothing of it takes the new one", async () => {
    const dataDir = join(root, 'empty-partition');
    let server: ServerProcess = await serverProcess(dataDir);
    const user = await logIn(server.url);
    const realm = RealmFile.open({ path: join(root, 'offline-writer.realm') });
    let driver = new SyncDriver(realm, server.url, user.accessToken, 'never-written');
    await driver.connect();
    const firstEpoch = realm.cursors.epoch;
    expect(firstEpoch).toBeDefined();
    driver.close();
    // Offline: a durable commit (full durability) made against that epoch.
    realm.write((tx) => tx.put('Task', 'offline', { title: 'written while the server was down' }));
    await server.kill();

    server = await serverProcess(dataDir);
    driver = new SyncDriver(realm, server.url, user.accessToken, 'never-written');
    await driver.connect();
    await driver.syncAll();
    expect(driver.errors).toEqual([]);
    expect(realm.cursors.epoch).not.toBe(firstEpoch);
    driver.close();
    realm.close();
    // The epoch that replaced the first one was synced: a reopen presents the new one.
    const reopened = RealmFile.open({ path: join(root, 'offline-writer.realm') });
    expect(reopened.cursors.epoch).not.toBe(firstEpoch);
    reopened.close();
    const history = await historyOf(server.url, user.accessToken, 'never-written');
    expect(history.get(realm.fileIdent)).toEqual([1]);
    await server.kill();
  });
});
