import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../src/protocol/index.js';
import { startServer, type ServerOptions, type SyncServer } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { eventually } from '../support/eventually.js';
import { startTsxProcess, type TsxProcess } from '../support/tsx-process.js';
import { logIn, WireClient, type Login } from '../support/wire-client.js';

const PARTITIONS = 1_100;
const PER_SOCKET = 100;
const MAX_OPEN = 32;

let dir: string;
let server: SyncServer | undefined;
const sockets: WireClient[] = [];
const children: TsxProcess[] = [];

/** History files under the data dir that process `pid` (this one by default: the server runs in it) holds open. */
const openHistoryFds = (pid: number | 'self' = 'self'): number =>
  readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      return target.startsWith(dir) && target.endsWith('.log');
    } catch {
      return false;
    }
  }).length;

async function start(): Promise<SyncServer> {
  server = await startServer({ dataDir: dir, maxOpenHistories: MAX_OPEN, maxSessionsPerSocket: PER_SOCKET });
  return server;
}

const downloadOf = (session: number, match: (m: Extract<ServerMessage, { type: 'download' }>) => boolean) => (m: ServerMessage) =>
  m.type === 'download' && m.session === session && match(m);

/**
 * Binds partitions `part-<i>` for every i in `parts` on new sockets, PER_SOCKET to a socket,
 * and waits on each socket for `expect(i)` of every session; `before(i)` is sent after IDENT.
 * Returns the most history fds open after any socket's batch.
 */
async function bindEverywhere(
  s: SyncServer,
  login: Login,
  parts: readonly number[],
  fileIdent: (i: number) => string,
  before: (c: WireClient, session: number, i: number) => void,
  awaited: (i: number) => (m: Extract<ServerMessage, { type: 'download' }>) => boolean,
): Promise<{ peakFds: number; served: Map<number, Extract<ServerMessage, { type: 'download' }>> }> {
  let peakFds = 0;
  const served = new Map<number, Extract<ServerMessage, { type: 'download' }>>();
  for (let start = 0; start < parts.length; start += PER_SOCKET) {
    const c = await WireClient.connect(s.url);
    sockets.push(c);
    const batch = parts.slice(start, start + PER_SOCKET);
    batch.forEach((i, k) => {
      c.send({ type: 'bind', session: k + 1, partition: `part-${i}`, token: login.accessToken });
      c.send({ type: 'ident', session: k + 1, fileIdent: fileIdent(i) });
      before(c, k + 1, i);
    });
    await Promise.all(
      batch.map(async (i, k) => {
        const m = await c.next(downloadOf(k + 1, awaited(i)), 120_000);
        if (m.type === 'download') served.set(i, m);
      }),
    );
    peakFds = Math.max(peakFds, openHistoryFds());
    expect(s.openHistoryFiles()).toBeLessThanOrEqual(MAX_OPEN);
  }
  return { peakFds, served };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'open-files-'));
});
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close());
  await Promise.all(children.splice(0).map((child) => child.stop()));
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('history files held open', () => {
  it(`${PARTITIONS} partitions written and bound across sockets hold at most maxOpenHistories (${MAX_OPEN}) files; every partition is intact and served, also after a restart`, async () => {
    const all = Array.from({ length: PARTITIONS }, (_, i) => i);
    let s = await start();
    const writer = await logIn(s.url);
    // Each session uploads one changeset to its own partition: every history gets a file.
    const written = await bindEverywhere(
      s,
      writer,
      all,
      (i) => `w${i}`,
      (c, session, i) => c.send({ type: 'upload', session, changesets: [putTask(`w${i}`, 1, `t${i}`, { i })], progress: { clientVersion: 1, serverVersion: 0 } }),
      () => (m) => m.uploadAck === 1,
    );
    // All 1,100 still bound: partition 0's file was closed long ago; writing reopens it at its end.
    const first = sockets[0]!;
    first.send({ type: 'upload', session: 1, changesets: [putTask('w0', 2, 'again', { i: -1 })], progress: { clientVersion: 2, serverVersion: 1 } });
    await first.next(downloadOf(1, (m) => m.uploadAck === 2), 60_000);
    const fdsWritten = Math.max(written.peakFds, openHistoryFds());

    // Served from the running server to a new reader of each partition.
    const reader = await logIn(s.url);
    const live = await bindEverywhere(s, reader, all, (i) => `r${i}`, () => undefined, () => () => true);
    sockets.splice(0).forEach((c) => c.close());
    await s.close();
    expect(openHistoryFds()).toBe(0);

    // After a restart every history is an existing file: binding them all opens each of them.
    s = await start();
    const again = await logIn(s.url);
    const reopened = await bindEverywhere(s, again, all, (i) => `r${i}`, () => undefined, () => () => true);
    console.info(
      `${PARTITIONS} partitions on ${Math.ceil(PARTITIONS / PER_SOCKET)} sockets, maxOpenHistories ${MAX_OPEN}: peak history fds ${fdsWritten} while writing, ` +
        `${live.peakFds} while serving, ${reopened.peakFds} while binding after a restart`,
    );
    expect(fdsWritten).toBeLessThanOrEqual(MAX_OPEN);
    expect(live.peakFds).toBeLessThanOrEqual(MAX_OPEN);
    expect(reopened.peakFds).toBeLessThanOrEqual(MAX_OPEN);
    for (const served of [live.served, reopened.served]) {
      expect(served.size).toBe(PARTITIONS);
      for (const i of all) {
        const download = served.get(i)!;
        const expected = i === 0 ? [['w0', 1, 1], ['w0', 2, 2]] : [[`w${i}`, 1, 1]];
        expect(download.changesets.map((c) => [c.origin, c.clientVersion, c.serverVersion]), `partition ${i}`).toEqual(expected);
        expect(download.changesets[0]!.ops).toEqual([{ op: 'put', type: 'Task', id: `t${i}`, fields: { i } }]);
      }
    }
  });

  it('a server killed with SIGKILL while it closes and reopens history files (maxOpenHistories 4, batched) keeps every acknowledged changeset', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/serve-with-options.ts', import.meta.url));
    const listening = (output: string) => output.split('\n').find((line) => line.startsWith('{') && line.endsWith('}'));
    const spawnServer = async (): Promise<{ url: string; pid: number }> => {
      const options: Partial<ServerOptions> = { maxOpenHistories: 4, durability: 'batched' };
      const child = await startTsxProcess([fixture, dir, JSON.stringify(options)], (output) => listening(output) !== undefined);
      children.push(child);
      return { url: (JSON.parse(listening(child.output())!) as { url: string }).url, pid: child.child.pid! };
    };
    const count = 40;
    const rounds = 5;
    const first = await spawnServer();
    const login = await logIn(first.url);
    const c = await WireClient.connect(first.url);
    sockets.push(c);
    const acked = new Map<number, number>();
    c.socket.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; session?: number; uploadAck?: number };
      if (m.type === 'download' && m.session !== undefined) acked.set(m.session, Math.max(acked.get(m.session) ?? 0, m.uploadAck ?? 0));
    });
    for (let session = 1; session <= count; session++) {
      c.send({ type: 'bind', session, partition: `crash-${session}`, token: login.accessToken });
      c.send({ type: 'ident', session, fileIdent: `w${session}` });
    }
    let peakFds = 0;
    const upload = (session: number, version: number) =>
      c.send({ type: 'upload', session, changesets: [putTask(`w${session}`, version, `t${version}`, { session, version })], progress: { clientVersion: version, serverVersion: 0 } });
    // Round robin: every upload's partition is the least recently written one, so each reopens its file.
    for (let round = 1; round <= rounds; round++) {
      for (let session = 1; session <= count; session++) upload(session, round);
      await eventually(() => [...Array(count).keys()].every((k) => (acked.get(k + 1) ?? 0) >= round), `round ${round} acknowledged`, 60_000);
      peakFds = Math.max(peakFds, openHistoryFds(first.pid));
    }
    // The last round is cut by the kill: some of it acknowledged, some not.
    for (let session = 1; session <= count; session++) upload(session, rounds + 1);
    await eventually(() => [...acked.values()].filter((v) => v > rounds).length >= count / 4, 'part of the last round acknowledged', 60_000);
    await children.pop()!.stop('SIGKILL');
    const ackedAtKill = new Map(acked);

    const second = await spawnServer();
    const reader = await logIn(second.url);
    const r = await WireClient.connect(second.url);
    sockets.push(r);
    let lost = 0;
    let lastRoundKept = 0;
    for (let session = 1; session <= count; session++) {
      r.send({ type: 'bind', session, partition: `crash-${session}`, token: reader.accessToken });
      r.send({ type: 'ident', session, fileIdent: `reader-${session}` });
      const d = await r.next(downloadOf(session, () => true), 60_000);
      if (d.type !== 'download') continue;
      const versions = d.changesets.map((cs) => cs.clientVersion);
      // In order, each once, and a prefix of what was sent.
      expect(versions, `partition ${session}`).toEqual(versions.map((_, k) => k + 1));
      if (versions.length < ackedAtKill.get(session)!) lost++;
      if (versions.length > rounds) lastRoundKept++;
    }
    console.info(
      `${count} partitions, maxOpenHistories 4, batched, ${rounds} round-robin rounds + 1 cut by SIGKILL: peak history fds in the server ${peakFds}; ` +
        `after restart ${lost} partitions lost an acknowledged changeset; ${lastRoundKept} kept the last round (${[...ackedAtKill.values()].filter((v) => v > rounds).length} acknowledged)`,
    );
    expect(peakFds).toBeLessThanOrEqual(4);
    expect(lost).toBe(0);
  });
});
