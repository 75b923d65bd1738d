import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDLE_PARTITIONS, openFilePartitionStore, type FilePartitionStore } from '../../../src/server/storage/file/index.js';
import type { Logger } from '../../../src/store/logger.js';
import { putTask } from '../../support/changesets.js';
import { writeLegacyHistory } from '../../support/legacy-history.js';
import { clientView, dumpDocuments, foldHistory } from './partition-contents.js';

let dir: string;
let partitions: string;
let warnings: string[];
const logger: Logger = { info: () => undefined, warn: (message) => warnings.push(message) };
const open = (options: { maxOpenHistories?: number } = {}): FilePartitionStore => openFilePartitionStore(partitions, { durability: 'full', logger, now: () => 0, ...options });
const list = (): string[] => (existsSync(partitions) ? readdirSync(partitions) : []);
const partitionDir = (): string => join(partitions, list().find((name) => !name.endsWith('.log'))!);
const segment = (): string => join(partitionDir(), readdirSync(partitionDir()).find((name) => name.startsWith('tail-'))!);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'file-store-files-'));
  partitions = join(dir, 'partitions');
  warnings = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('file partition store on disk', () => {
  it('cuts a torn tail at every cut point, losing only the torn record; appends land after it and survive', async () => {
    let store = open();
    let h = await store.acquire('p');
    for (let v = 1; v <= 5; v++) await h.append('a', 'u', [putTask('a', v, `t${v}`)], 0);
    await store.close();
    const path = segment();
    const whole = readFileSync(path);
    for (let cut = 1; cut < 60; cut += 7) {
      writeFileSync(path, whole.subarray(0, whole.length - cut));
      warnings = [];
      store = open();
      h = await store.acquire('p');
      expect(h.latest).toBe(4);
      expect(h.origin('a').clientVersion).toBe(4);
      expect(warnings.length).toBeGreaterThan(0);
      await h.append('a', 'u', [putTask('a', 5, 't5b')], 0);
      await store.close();
      store = open();
      expect((await store.acquire('p')).latest).toBe(5);
      await store.close();
      for (const name of readdirSync(partitionDir())) if (name.startsWith('tail-')) rmSync(join(partitionDir(), name));
      writeFileSync(path, whole);
    }
  });

  it('cuts a corrupt record (a flipped byte) and refuses a state file that is not whole or not its partition', async () => {
    let store = open();
    const h = await store.acquire('p');
    for (let v = 1; v <= 3; v++) await h.append('a', 'u', [putTask('a', v, `t${v}`)], 0);
    await store.close();
    const bytes = readFileSync(segment());
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 5) ^ 0xff, bytes.length - 5);
    writeFileSync(segment(), bytes);
    store = open();
    expect((await store.acquire('p')).latest).toBe(2);
    await store.close();
    const state = join(partitionDir(), 'state');
    const good = readFileSync(state);
    for (const bad of [Buffer.from('not a state file at all'), good.subarray(0, good.length - 3), Buffer.concat([good, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 7])]), Buffer.alloc(0)]) {
      writeFileSync(state, bad);
      store = open();
      await expect(store.acquire('p')).rejects.toThrow();
      await store.close();
    }
    // Another partition's state moved into this directory is refused, not served.
    writeFileSync(state, good);
    const other = open();
    await (await other.acquire('q')).append('b', 'u', [putTask('b', 1, 'x')], 0);
    await other.close();
    const qDir = join(partitions, list().find((name) => name.startsWith('q-'))!);
    writeFileSync(state, readFileSync(join(qDir, 'state')));
    store = open();
    await expect(store.acquire('p')).rejects.toThrow(/holds partition/);
    await store.close();
  });

  it('a partition whose state file is gone but whose tail segments are there is refused, and its segments are kept', async () => {
    let store = open();
    const h = await store.acquire('p');
    for (let v = 1; v <= 3; v++) await h.append('a', 'u', [putTask('a', v, `t${v}`)], 0);
    await store.close();
    const segments = readdirSync(partitionDir()).filter((name) => name.startsWith('tail-'));
    expect(segments.length).toBeGreaterThan(0);
    rmSync(join(partitionDir(), 'state'));
    store = open();
    await expect(store.acquire('p')).rejects.toThrow(/no state file/);
    await store.close();
    expect(readdirSync(partitionDir()).filter((name) => name.startsWith('tail-'))).toEqual(segments);
  });

  it('an empty partition never costs a file: released, or at close, it leaves nothing, and starts a new epoch once forgotten', async () => {
    const store = open();
    const epoch = (await store.acquire('empty')).epoch;
    expect(list()).toEqual([]);
    await store.release('empty');
    expect(list()).toEqual([]);
    expect((await store.acquire('empty')).epoch).toBe(epoch);
    await store.release('empty');
    for (let i = 0; i < IDLE_PARTITIONS; i++) {
      await store.acquire(`other-${i}`);
      await store.release(`other-${i}`);
    }
    expect(list()).toEqual([]);
    expect((await store.acquire('empty')).epoch).not.toBe(epoch);
    await (await store.acquire('written')).append('f', 'u', [putTask('f', 1, 'a')], 0);
    expect(list()).toHaveLength(1);
    await store.close();
    expect(list()).toHaveLength(1);
  });

  it('converts an old single-file history on first acquire: epoch, versions, owners and documents kept, the old file removed', async () => {
    const history = [putTask('a', 1, 'x'), putTask('a', 2, 'y'), putTask('b', 1, 'x', { n: 9 })];
    const epoch = 'a1b2c3d4e5f6';
    writeLegacyHistory(partitions, 'legacy', epoch, history.map((changeset) => ({ changeset, owner: changeset.origin === 'a' ? 'alice' : 'bob' })));
    expect(list().filter((name) => name.endsWith('.log'))).toHaveLength(1);
    let store = open();
    let h = await store.acquire('legacy');
    expect(list().filter((name) => name.endsWith('.log'))).toEqual([]);
    expect({ epoch: h.epoch, latest: h.latest }).toEqual({ epoch, latest: 3 });
    expect(h.origin('a')).toEqual({ clientVersion: 2, owner: 'alice' });
    expect(h.origin('b')).toEqual({ clientVersion: 1, owner: 'bob' });
    expect(dumpDocuments((await clientView(h)).set)).toEqual(dumpDocuments(foldHistory(history)));
    await store.close();
    store = open();
    h = await store.acquire('legacy');
    expect({ epoch: h.epoch, latest: h.latest }).toEqual({ epoch, latest: 3 });
    await store.close();
  });

  it(`holds files of at most maxOpenHistories partitions at once, and every partition stays whole`, async () => {
    const MAX = 3;
    const store = open({ maxOpenHistories: MAX });
    const handles = await Promise.all(Array.from({ length: 10 }, (_, i) => store.acquire(`p${i}`)));
    const openDirs = (): number => {
      const dirs = new Set<string>();
      for (const fd of readdirSync('/proc/self/fd')) {
        try {
          const target = readlinkSync(`/proc/self/fd/${fd}`);
          if (target.startsWith(partitions)) dirs.add(target.slice(partitions.length + 1).split('/')[0]!);
        } catch {
          // Closed meanwhile.
        }
      }
      return dirs.size;
    };
    for (let round = 1; round <= 3; round++) {
      for (const [i, h] of handles.entries()) {
        await h.append('a', 'u', [putTask('a', round, `t${i}-${round}`)], 0);
        await h.readTail(0, 'reader', 1000);
        expect(openDirs()).toBeLessThanOrEqual(MAX);
        expect(store.openPartitionFiles).toBeLessThanOrEqual(MAX);
      }
    }
    for (const h of handles) expect(h.latest).toBe(3);
    await store.close();
    expect(openDirs()).toBe(0);
  });

  it('removes a fold scratch file and skips tail segments a fold had already folded (crash before their removal)', async () => {
    let store = open();
    const h = await store.acquire('p');
    for (let v = 1; v <= 3; v++) await h.append('a', 'u', [putTask('a', v, `t${v}`)], 0);
    const folded = segment();
    const copy = readFileSync(folded);
    await h.fold({ now: 0, retentionMs: 1e12 });
    await h.append('a', 'u', [putTask('a', 4, 't4')], 0);
    await store.close();
    writeFileSync(folded, copy);
    writeFileSync(join(partitionDir(), 'state.tmp'), 'half a fold');
    store = open();
    const again = await store.acquire('p');
    expect({ latest: again.latest, stateVersion: again.stateVersion }).toEqual({ latest: 4, stateVersion: 3 });
    expect(existsSync(folded)).toBe(false);
    expect(existsSync(join(partitionDir(), 'state.tmp'))).toBe(false);
    expect(dumpDocuments((await clientView(again)).set)).toEqual(dumpDocuments(foldHistory([1, 2, 3, 4].map((v) => putTask('a', v, `t${v}`)))));
    await store.close();
  });

  it('folds on its own once the tail outgrows the policy, and when the oldest tombstone passes retention', async () => {
    let clock = 0;
    const store = openFilePartitionStore(partitions, { durability: 'full', logger, now: () => clock, historyRetentionMs: 1_000, foldPolicy: { minTailBytes: 500, tailFraction: 0.5 } });
    const h = await store.acquire('p');
    for (let v = 1; v <= 20 && h.stateVersion === 0; v++) {
      await h.append('a', 'u', [putTask('a', v, `t${v}`, { text: 'z'.repeat(50) })], 0);
      // Bounded: a background fold is a few reads and writes away.
      for (let i = 0; i < 200 && h.stateVersion === 0 && h.tailBytes > 500; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(h.stateVersion).toBeGreaterThan(0);
    await h.append('a', 'u', [{ clientVersion: h.origin('a').clientVersion + 1, origin: 'a', hlc: { wall: 99_999, counter: 0 }, ops: [{ op: 'delete', type: 'Task', id: 't1' }] }], 0);
    await h.fold({ now: 0, retentionMs: 1e12 });
    expect(h.expiredThrough).toBe(0);
    await store.release('p');
    clock = 5_000;
    const again = await store.acquire('p');
    for (let i = 0; i < 200 && again.expiredThrough === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(again.expiredThrough).toBe(again.latest);
    await store.close();
  });
});
