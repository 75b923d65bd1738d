/**
 * A stamp is forever: every replica that downloads one moves its clock to at least it. So the
 * server refuses stamps from the far future (more than `maxClockSkewMs` ahead of its clock) and
 * counters no HLC issues (beyond MAX_HLC_COUNTER), with `clockSkew`, a non-fatal error of that
 * changeset: the uploading session and everybody else go on.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Changeset } from '../../src/protocol/index.js';
import { startServer } from '../../src/server/index.js';
import { stampBackoffMs, stampProblem } from '../../src/server/stamp-check.js';
import { MAX_HLC_COUNTER } from '../../src/store/hlc.js';
import { Harness } from '../e2e/harness.js';
import { is, logIn, WireClient } from '../support/wire-client.js';

const HOSTILE = { wall: Number.MAX_SAFE_INTEGER, counter: Number.MAX_SAFE_INTEGER };

let h: Harness | undefined;
const sockets: WireClient[] = [];
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close());
  await h?.close();
  h = undefined;
});

async function wire(partition: string, fileIdent: string): Promise<WireClient> {
  const login = await logIn(h!.server.url);
  const c = await WireClient.connect(h!.server.url);
  sockets.push(c);
  c.send({ type: 'bind', session: 1, partition, token: login.accessToken });
  c.send({ type: 'ident', session: 1, fileIdent });
  await c.next(is('ident', 1));
  return c;
}

const changeset = (origin: string, clientVersion: number, hlc: Changeset['hlc'], id = `${origin}-${clientVersion}`): Changeset => ({
  clientVersion,
  origin,
  hlc,
  ops: [{ op: 'put', type: 'Task', id, fields: { by: origin } }],
});

/** Uploads `c` and returns what the server answered: the error, or the acknowledging DOWNLOAD. */
async function upload(client: WireClient, c: Changeset): Promise<{ code: string | undefined; ack: number }> {
  client.send({ type: 'upload', session: 1, changesets: [c], progress: { clientVersion: c.clientVersion - 1, serverVersion: 0 } });
  const error = await client.next((m) => (m.type === 'error' && m.session === 1) || (m.type === 'download' && m.uploadAck >= c.clientVersion), 10_000).catch(() => undefined);
  if (error?.type === 'error') {
    const download = await client.next(is('download', 1), 10_000);
    return { code: error.code, ack: download.type === 'download' ? download.uploadAck : -1 };
  }
  return { code: undefined, ack: error?.type === 'download' ? error.uploadAck : -1 };
}

/** Every changeset a fresh file downloads from `partition`. */
async function history(partition: string): Promise<Changeset[]> {
  const reader = await wire(partition, `reader-${Math.random().toString(16).slice(2, 10)}`);
  const seen: Changeset[] = [];
  for (let i = 0; i < 100; i++) {
    const d = await reader.next(is('download', 1), 10_000);
    if (d.type !== 'download') break;
    seen.push(...d.changesets);
    if (d.downloadableBytes === 0) break;
  }
  return seen;
}

describe('server: stamps from the far future are refused (clockSkew)', () => {
  it('a raw client uploading { wall: 2^53−1, counter: 2^53−1 } gets clockSkew; the history never holds it; everybody keeps syncing', async () => {
    h = await new Harness().start();
    const bob = await h.client('p');
    const carol = await h.client('p');
    bob.realm.write((tx) => tx.put('Task', 'bob-before', { by: 'bob' }));
    await bob.realm.syncSession!.waitForUpload(AbortSignal.timeout(10_000));

    const mallory = await wire('p', 'ba0ba0ba0ba0ba0b');
    const refused = await upload(mallory, changeset('ba0ba0ba0ba0ba0b', 1, HOSTILE, 'hostile'));
    expect(refused).toEqual({ code: 'clockSkew', ack: 0 });
    const error = mallory.received.find((m) => m.type === 'error');
    expect(error).toBeUndefined(); // taken by `upload`: exactly one error

    // The same session goes on: a sane stamp from it is taken.
    expect(await upload(mallory, changeset('ba0ba0ba0ba0ba0b', 1, { wall: Date.now(), counter: 0 }, 'mallory-sane'))).toEqual({ code: undefined, ack: 1 });

    // The real clients keep syncing both ways, and never see the hostile stamp.
    carol.realm.write((tx) => tx.put('Task', 'carol-after', { by: 'carol' }));
    bob.realm.write((tx) => tx.put('Task', 'bob-after', { by: 'bob' }));
    for (const c of [bob, carol]) {
      await c.realm.syncSession!.waitForUpload(AbortSignal.timeout(10_000));
    }
    for (const c of [bob, carol]) await c.realm.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
    const ids = ['bob-after', 'bob-before', 'carol-after', 'mallory-sane'];
    expect(bob.realm.objects('Task').map((o) => o.id)).toEqual(ids);
    expect(carol.realm.objects('Task').map((o) => o.id)).toEqual(ids);
    expect([...bob.errors, ...carol.errors]).toEqual([]);
    // Their clocks were never dragged to the hostile stamp: a new commit still uploads.
    bob.realm.write((tx) => tx.put('Task', 'bob-last', { by: 'bob' }));
    await bob.realm.syncSession!.waitForUpload(AbortSignal.timeout(10_000));

    const served = await history('p');
    expect(served.map((c) => c.ops[0]!.id).sort()).toEqual([...ids, 'bob-last'].sort());
    expect(served.every((c) => c.hlc.wall <= Date.now() + 600_000 && c.hlc.counter <= MAX_HLC_COUNTER)).toBe(true);
    // And on disk: no history file holds the hostile wall.
    const serverDir = join(h.dir, 'server', 'partitions');
    // Every file of every partition: its state and tail segments.
    const logs = readdirSync(serverDir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(serverDir, f)).isFile());
    expect(logs.length).toBeGreaterThan(0);
    for (const f of logs) expect(readFileSync(join(serverDir, f), 'latin1')).not.toContain(String(Number.MAX_SAFE_INTEGER));
    console.log(`clockSkew: hostile stamp refused; ${served.length} changesets served, none beyond the skew; ${logs.length} partition file(s) clean`);
  });

  it('maxClockSkewMs is the bound of the wall; MAX_HLC_COUNTER the bound of the counter', async () => {
    h = await new Harness().start({ maxClockSkewMs: 60_000 });
    const c = await wire('bounds', 'b0b0b0b0b0b0b0b0');
    const at = (wall: number, counter = 0, id?: string) => changeset('b0b0b0b0b0b0b0b0', 1, { wall, counter }, id);
    expect((await upload(c, at(Date.now() + 5 * 60_000))).code).toBe('clockSkew');
    expect((await upload(c, at(Date.now(), MAX_HLC_COUNTER + 1))).code).toBe('clockSkew');
    expect(await upload(c, at(Date.now() + 30_000, MAX_HLC_COUNTER, 'within'))).toEqual({ code: undefined, ack: 1 });
    // Behind the server's clock is fine: clients go offline for days.
    expect(await upload(c, changeset('b0b0b0b0b0b0b0b0', 2, { wall: 1, counter: 0 }, 'old'))).toEqual({ code: undefined, ack: 2 });
    expect((await history('bounds')).map((x) => x.ops[0]!.id)).toEqual(['within', 'old']);
  });

  it('a bad maxClockSkewMs is a TypeError naming the field', async () => {
    for (const bad of [-1, 0, Number.NaN, Number.POSITIVE_INFINITY, '600000']) {
      await expect(startServer({ dataDir: '/nonexistent/never-made', maxClockSkewMs: bad as number })).rejects.toThrow(TypeError);
      await expect(startServer({ dataDir: '/nonexistent/never-made', maxClockSkewMs: bad as number })).rejects.toThrow('maxClockSkewMs');
    }
  });

  it('stampProblem: at the skew is taken, one millisecond past it is not; at the counter bound is taken, one past it is not', () => {
    const now = 1_764_081_000_000;
    expect(stampProblem({ wall: now + 600_000, counter: 0 }, now, 600_000)).toBeUndefined();
    expect(stampProblem({ wall: now + 600_001, counter: 0 }, now, 600_000)).toContain('ahead');
    expect(stampProblem({ wall: 0, counter: MAX_HLC_COUNTER }, now, 600_000)).toBeUndefined();
    expect(stampProblem({ wall: 0, counter: MAX_HLC_COUNTER + 1 }, now, 600_000)).toContain('counter');
    expect(stampProblem(HOSTILE, now, 600_000)).toContain('ahead');
  });

  it('stampBackoffMs: how long until a wall too far ahead is taken; none for a counter beyond the bound', () => {
    const now = 1_764_081_000_000;
    expect(stampBackoffMs({ wall: now + 600_001, counter: 0 }, now, 600_000)).toBe(1);
    expect(stampBackoffMs({ wall: now + 660_000, counter: 5 }, now, 600_000)).toBe(60_000);
    expect(stampBackoffMs({ wall: now + 600_000, counter: 0 }, now, 600_000)).toBeUndefined();
    expect(stampBackoffMs({ wall: now + 660_000, counter: MAX_HLC_COUNTER + 1 }, now, 600_000)).toBeUndefined();
  });
});
