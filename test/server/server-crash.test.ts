import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RealmFile } from '../../src/store/realm-file.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { SyncDriver } from '../support/sync-driver.js';
import { is, logIn, WireClient } from '../support/wire-client.js';

const root = mkdtempSync(join(tmpdir(), 'server-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const WRITES = 150;

/** Every changeset in the history, by origin, as a fresh reader downloads it. */
async function historyByOrigin(url: string, token: string): Promise<Map<string, number[]>> {
  const reader = await WireClient.connect(url);
  reader.send({ type: 'bind', session: 1, partition: 'crash', token });
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
    let server: ServerProcess = await startServerProcess(dataDir);
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

    server = await startServerProcess(dataDir);
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
