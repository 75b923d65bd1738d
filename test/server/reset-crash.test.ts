import { existsSync, mkdtempSync, readdirSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Changeset, Operation } from '../../src/protocol/index.js';
import { DocumentSet } from '../../src/store/document-set.js';
import { downloadEverything } from '../support/wire-download.js';
import { eventually } from '../support/eventually.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { is, logIn, WireClient } from '../support/wire-client.js';

const root = mkdtempSync(join(tmpdir(), 'reset-crash-'));
let current: ServerProcess | undefined;
afterAll(async () => {
  await current?.kill();
  rmSync(root, { recursive: true, force: true });
});

const PARTITION = 'big';
const ORIGINS = ['0a0a0a0a0a0a0a0a', '1b1b1b1b1b1b1b1b', '2c2c2c2c2c2c2c2c', '3d3d3d3d3d3d3d3d'];
const CHANGESETS = 40;
const OPS = 60;
const DOCS = 6_000;
const RANDOM_KILLS = 8;
const KILLS = RANDOM_KILLS + 4;
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

/** mulberry32: a small PRNG, so a failing run replays from its printed seed. */
function prng(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Each origin's changesets: puts over a shared id space (so writes overwrite each other) and some deletes. */
function makeHistory(random: () => number): Changeset[][] {
  const filler = 'x'.repeat(60);
  return ORIGINS.map((origin) => {
    let wall = 1_000;
    return Array.from({ length: CHANGESETS }, (_, c): Changeset => {
      wall += 1 + Math.floor(random() * 3);
      const ops = Array.from({ length: OPS }, (): Operation => {
        const id = `d${Math.floor(random() * DOCS)}`;
        if (random() < 0.05) return { op: 'delete', type: 'Doc', id };
        return { op: 'put', type: 'Doc', id, fields: { [random() < 0.5 ? 'a' : 'b']: `${origin}-${c}-${filler}` } };
      });
      return { clientVersion: c + 1, origin, hlc: { wall, counter: 0 }, ops };
    });
  });
}

/** What a fresh reader downloads of the partition: its epoch and the visible documents. */
async function readPartition(url: string, token: string): Promise<{ epoch: string; documents: unknown }> {
  const reader = await WireClient.connect(url);
  try {
    reader.send({ type: 'bind', session: 1, partition: PARTITION, token });
    reader.send({ type: 'ident', session: 1, fileIdent: `reader${Date.now()}` });
    const ident = await reader.next(is('ident', 1), 30_000);
    // The state's documents and the tail's changesets, as a new client gets them.
    const documents = (await downloadEverything(reader, 1, 30_000)).set;
    return { epoch: ident.epoch, documents: documents.visibleByType() };
  } finally {
    reader.close();
  }
}

/** What the fixture printed after each reset that returned. */
const resetsDone = (server: ServerProcess): Array<{ reset: string; ms: number }> =>
  server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{"reset"') && line.endsWith('}'))
    .map((line) => JSON.parse(line) as { reset: string; ms: number });

describe('server killed with SIGKILL during resetPartition of a big partition', () => {
  it('leaves the old epoch or the whole new one, with every document either way', async () => {
    const random = prng(seed);
    const dataDir = join(root, 'server');
    const start = async () => {
      current = await startServerProcess(dataDir, 0, { resetOnSignal: PARTITION });
      return current;
    };
    let server = await start();
    const user = await logIn(server.url);
    const history = makeHistory(random);
    for (const changesets of history) {
      const writer = await WireClient.connect(server.url);
      writer.send({ type: 'bind', session: 1, partition: PARTITION, token: user.accessToken });
      writer.send({ type: 'ident', session: 1, fileIdent: changesets[0]!.origin });
      for (let i = 0; i < changesets.length; i += 10) {
        writer.send({ type: 'upload', session: 1, changesets: changesets.slice(i, i + 10), progress: { clientVersion: Math.min(i + 10, CHANGESETS), serverVersion: 0 } });
      }
      await writer.next((m) => m.type === 'download' && m.uploadAck === CHANGESETS, 30_000);
      writer.close();
    }
    const expectedSet = new DocumentSet();
    for (const changeset of history.flat()) expectedSet.applyChangeset(changeset);
    const expected = expectedSet.visibleByType();
    const visibleCount = expected['Doc']?.length ?? 0;
    let before = await readPartition(server.url, user.accessToken);
    expect(before.documents).toEqual(expected);

    // One reset without a kill: how long one takes here sets the window the kills fall in (a
    // little longer than the reset, so some kills land just after it returned).
    server.child.kill('SIGUSR2');
    await eventually(() => resetsDone(server).length === 1, 'the first reset', 60_000);
    let took = resetsDone(server)[0]!.ms;
    const durations = [took];
    const afterFirst = await readPartition(server.url, user.accessToken);
    expect(afterFirst.epoch).not.toBe(before.epoch);
    expect(afterFirst.documents).toEqual(expected);
    before = afterFirst;

    const outcomes = { oldEpoch: 0, newEpoch: 0, scratchFileLeft: 0, reportedDone: 0 };
    const partitions = join(dataDir, 'partitions');
    for (let kill = 0; kill < KILLS; kill++) {
      const printed = resetsDone(server).length;
      if (kill < RANDOM_KILLS) {
        const delay = Math.floor(random() * Math.max(5, took * 1.2));
        server.child.kill('SIGUSR2');
        await new Promise((resolve) => setTimeout(resolve, delay));
      } else {
        // The moment the new epoch's scratch file appears: mid-write, before its rename.
        const watcher = watch(partitions, { recursive: true });
        let timer: NodeJS.Timeout | undefined;
        try {
          const created = new Promise<void>((resolve) => {
            watcher.on('change', (_event, name) => String(name).endsWith('.tmp') && resolve());
            // Bounded: a reset that never writes one is killed after a minute (and then fails below if it lost anything).
            timer = setTimeout(resolve, 60_000);
          });
          server.child.kill('SIGUSR2');
          await created;
        } finally {
          clearTimeout(timer);
          watcher.close();
        }
      }
      const finished = resetsDone(server).slice(printed);
      await server.kill();
      const done = finished.length > 0;
      if (done) {
        took = finished[0]!.ms;
        durations.push(took);
      }
      if (readdirSync(partitions, { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('.tmp'))) outcomes.scratchFileLeft++;
      server = await start();
      const after = await readPartition(server.url, user.accessToken);
      // Every document, with the values the whole history gives, whichever epoch survived.
      expect(after.documents).toEqual(expected);
      if (done) {
        // A reset that returned is durable.
        outcomes.reportedDone++;
        expect(after.epoch).not.toBe(before.epoch);
      }
      if (after.epoch === before.epoch) outcomes.oldEpoch++;
      else outcomes.newEpoch++;
      before = after;
    }
    expect(existsSync(partitions)).toBe(true);
    console.log(
      `reset crash: seed ${seed} (FC_SEED=${seed} to replay); ${ORIGINS.length * CHANGESETS} changesets, ${ORIGINS.length * CHANGESETS * OPS} operations, ` +
        `${visibleCount} visible documents; resets that returned took ${durations.join(', ')} ms; ${KILLS} SIGKILLs (${RANDOM_KILLS} at random within 1.2 × that of SIGUSR2, ` +
        `${KILLS - RANDOM_KILLS} when the scratch file appeared): ` +
        `${outcomes.oldEpoch} left the old epoch, ${outcomes.newEpoch} the new one (${outcomes.reportedDone} after the reset had returned), ` +
        `${outcomes.scratchFileLeft} left a half-written scratch file; every restart held all ${visibleCount} documents`,
    );
    await server.kill();
  }, 240_000);
});
