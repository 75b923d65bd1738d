/**
 * The acceptance suite every `PartitionStore` backend runs (in the spirit of automerge-repo's
 * `runStorageAdapterTests`): a fresh store per test, the port's promises held to behaviour.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changesetBytes, type Changeset, type Operation } from '../../../src/protocol/changeset.codec.js';
import type { PartitionHandle, PartitionStore } from '../../../src/server/storage/server-storage.js';
import { MAX_FILE_IDENT_BYTES, MAX_OBJECT_ID_BYTES, MAX_OBJECT_TYPE_BYTES, MAX_PARTITION_BYTES } from '../../../src/protocol/limits.js';
import { putTask } from '../../support/changesets.js';
import { randomHex, randomKey } from '../../support/random-keys.js';
import { seededUniform } from '../../support/seeded-random.js';
import { clientView, dumpDocuments, foldHistory, readWholeState, readWholeTail } from './partition-contents.js';

/** A store the suite can close. */
export type ClosableStore = PartitionStore & { close(): Promise<void> };

/** One test's store, over storage of its own. */
export interface AcceptanceSetup {
  readonly store: ClosableStore;
  /** Closes `store` (if not closed yet) and opens the same storage again. */
  reopen(): Promise<ClosableStore>;
  /** Closes whatever is open and removes the storage. */
  cleanup(): Promise<void>;
}

const deleteTask = (origin: string, clientVersion: number, id: string, wall = 1_000 + clientVersion): Changeset => ({
  clientVersion,
  origin,
  hlc: { wall, counter: 0 },
  ops: [{ op: 'delete', type: 'Task', id }],
});

const NOW = 10_000_000;
const KEEP = { now: NOW, retentionMs: 1e12 };

/** Runs the suite for one backend. */
export function runPartitionStoreAcceptance(name: string, setup: () => Promise<AcceptanceSetup>): void {
  describe(`PartitionStore acceptance: ${name}`, () => {
    let s: AcceptanceSetup;
    let store: ClosableStore;
    beforeEach(async () => {
      s = await setup();
      store = s.store;
    });
    afterEach(async () => {
      await s.cleanup();
    });
    const reopen = async (): Promise<ClosableStore> => {
      store = await s.reopen();
      return store;
    };

    it('assigns server versions in order, counts only what is durable, and keeps owners', async () => {
      const h = await store.acquire('p');
      expect(h.latest).toBe(0);
      const pending = h.append('a', 'alice', [putTask('a', 1, 't1'), putTask('a', 2, 't2')], NOW);
      // Not durable before the promise resolves: not counted.
      expect(h.latest).toBe(0);
      expect(h.origin('a').clientVersion).toBe(0);
      const { added } = await pending;
      expect(added.map((c) => c.serverVersion)).toEqual([1, 2]);
      const second = await h.append('b', 'bob', [putTask('b', 1, 't3')], NOW);
      expect(second.added.map((c) => [c.origin, c.serverVersion])).toEqual([['b', 3]]);
      expect(h.latest).toBe(3);
      expect(h.origin('a')).toEqual({ clientVersion: 2, owner: 'alice' });
      expect(h.origin('b')).toEqual({ clientVersion: 1, owner: 'bob' });
      expect(h.origin('nobody')).toEqual({ clientVersion: 0, owner: undefined });
      // A later upload of `a` by someone else is refused, storing nothing: a file is one user's.
      await expect(h.append('a', 'mallory', [putTask('a', 3, 't4')], NOW)).rejects.toThrow(/belongs to another user/);
      expect(h.latest).toBe(3);
      expect(h.origin('a')).toEqual({ clientVersion: 2, owner: 'alice' });
      await store.release('p');
    });

    it('stores a re-sent upload once, also when two uploads of one origin race', async () => {
      const h = await store.acquire('p');
      const upload = [putTask('a', 1, 't1'), putTask('a', 2, 't2')];
      const [first, second] = await Promise.all([h.append('a', 'u', upload, NOW), h.append('a', 'u', upload, NOW)]);
      expect(first.added.length + second.added.length).toBe(2);
      expect(h.latest).toBe(2);
      const again = await h.append('a', 'u', [...upload, putTask('a', 3, 't3')], NOW);
      expect(again.added.map((c) => [c.clientVersion, c.serverVersion])).toEqual([[3, 3]]);
      const tail = await readWholeTail(h, 0, 'reader');
      expect(tail.map((c) => c.clientVersion)).toEqual([1, 2, 3]);
      await store.release('p');
    });

    it('refuses a gap or a foreign origin with a RangeError, storing none of the upload', async () => {
      const h = await store.acquire('p');
      await h.append('a', 'u', [putTask('a', 1, 't1')], NOW);
      await expect(h.append('a', 'u', [putTask('a', 2, 't2'), putTask('a', 4, 't4')], NOW)).rejects.toThrow(RangeError);
      await expect(h.append('a', 'u', [putTask('a', 2, 't2'), putTask('b', 3, 't3')], NOW)).rejects.toThrow(RangeError);
      expect(h.latest).toBe(1);
      expect(h.origin('a').clientVersion).toBe(1);
      // The right next version is taken afterwards.
      await h.append('a', 'u', [putTask('a', 2, 't2')], NOW);
      expect(h.latest).toBe(2);
      await store.release('p');
    });

    it('refuses keys the protocol refuses (one byte past a limit, a NUL, a lone surrogate) with a RangeError, storing nothing', async () => {
      const h = await store.acquire('p');
      const withOp = (origin: string, type: string, id: string): Changeset => ({ ...putTask(origin, 1, 'x'), ops: [{ op: 'put', type, id, fields: { n: 1 } }] });
      const long = (bytes: number): string => `${'k'.repeat(bytes - 2)}é`;
      const refused: Array<[string, string, Changeset]> = [
        ['an id past its limit', 'a', withOp('a', 'T', long(MAX_OBJECT_ID_BYTES + 1))],
        ['a type past its limit', 'a', withOp('a', long(MAX_OBJECT_TYPE_BYTES + 1), 'x')],
        ['an origin past its limit', long(MAX_FILE_IDENT_BYTES + 1), withOp(long(MAX_FILE_IDENT_BYTES + 1), 'T', 'x')],
        ['an id with a NUL', 'a', withOp('a', 'T', 'x\u0000')],
        ['a type with a lone surrogate', 'a', withOp('a', '\udc00T', 'x')],
        ['an origin with a lone surrogate', 'a\ud800', withOp('a\ud800', 'T', 'x')],
      ];
      for (const [name, origin, changeset] of refused) await expect(h.append(origin, 'u', [changeset], NOW), name).rejects.toThrow(RangeError);
      expect({ latest: h.latest, a: h.origin('a').clientVersion }).toEqual({ latest: 0, a: 0 });
      const tooLong = long(MAX_PARTITION_BYTES + 1);
      const other = await store.acquire(tooLong);
      await expect(other.append('a', 'u', [putTask('a', 1, 'x')], NOW)).rejects.toThrow(RangeError);
      expect(other.latest).toBe(0);
      await store.release(tooLong);
      // The partition is not the worse for it.
      await h.append('a', 'u', [putTask('a', 1, 'x')], NOW);
      expect(h.latest).toBe(1);
      await store.release('p');
    });

    it('the longest keys allowed, random text that does not compress, append, fold, reset and read back whole, also after a reopen', async () => {
      const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
      const random = seededUniform(seed);
      const partition = randomKey(MAX_PARTITION_BYTES, random);
      const origins = [randomKey(MAX_FILE_IDENT_BYTES, random), randomHex(MAX_FILE_IDENT_BYTES, random)];
      const types = [randomKey(MAX_OBJECT_TYPE_BYTES, random), randomHex(MAX_OBJECT_TYPE_BYTES, random)];
      const doc = (i: number): { type: string; id: string } => ({ type: types[i % 2]!, id: i % 3 === 0 ? randomHex(MAX_OBJECT_ID_BYTES, random) : randomKey(MAX_OBJECT_ID_BYTES, random) });
      const docs = Array.from({ length: 6 }, (_, i) => doc(i));
      const history: Changeset[] = [];
      const version = [0, 0];
      const write = (o: number, ops: Operation[]): Changeset => {
        const changeset: Changeset = { clientVersion: ++version[o]!, origin: origins[o]!, hlc: { wall: 1_000 + history.length, counter: 0 }, ops };
        history.push(changeset);
        return changeset;
      };
      let h = await store.acquire(partition);
      for (let round = 0; round < 2; round++) {
        for (const [o, batch] of [[0, docs.slice(0, 3)], [1, docs.slice(3)]] as const) {
          const ops = batch.map(({ type, id }): Operation => ({ op: 'put', type, id, fields: { round, [randomHex(8, random)]: randomKey(64, random) } }));
          await h.append(origins[o]!, `owner${o}`, [write(o, ops)], NOW);
        }
        if (round === 0) await h.fold(KEEP);
      }
      // A tombstone with the longest keys too.
      await h.append(origins[0]!, 'owner0', [write(0, [{ op: 'delete', type: docs[4]!.type, id: docs[4]!.id }])], NOW);
      const expected = dumpDocuments(foldHistory(history));
      expect(Object.keys(expected)).toHaveLength(6);
      expect(dumpDocuments((await clientView(h)).set)).toEqual(expected);
      await h.fold(KEEP);
      expect(h.stateVersion).toBe(h.latest);
      expect(dumpDocuments((await clientView(h)).set)).toEqual(expected);
      const epoch = await h.reset('keepDocuments');
      expect(dumpDocuments((await clientView(h)).set)).toEqual(expected);
      expect(origins.map((o) => h.origin(o).clientVersion)).toEqual(version);
      await store.release(partition);
      await reopen();
      h = await store.acquire(partition);
      expect(h.epoch).toBe(epoch);
      expect(dumpDocuments((await clientView(h)).set)).toEqual(expected);
      // Re-sent, the same changesets count as stored (the unique key on the origin holds).
      expect((await h.append(origins[1]!, 'owner1', history.filter((c) => c.origin === origins[1]), NOW)).added).toEqual([]);
      expect(await h.reset('wipe')).not.toBe(epoch);
      expect(dumpDocuments((await clientView(h)).set)).toEqual({});
      await store.release(partition);
      console.log(`${name}: longest keys (partition ${MAX_PARTITION_BYTES}, type ${MAX_OBJECT_TYPE_BYTES}, id ${MAX_OBJECT_ID_BYTES}, origin ${MAX_FILE_IDENT_BYTES} bytes) stored, folded, reset; seed ${seed}`);
    });

    it('refuses a receipt time that is not a whole number of ms ≥ 0, storing nothing, and what it stored reads back after a reopen', async () => {
      let h = await store.acquire('p');
      await h.append('a', 'u', [putTask('a', 1, 't1')], NOW);
      for (const at of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY, 2 ** 53, '5' as unknown as number, undefined as unknown as number]) {
        await expect(h.append('a', 'u', [putTask('a', 2, 't2')], at), `receivedAtMs ${String(at)}`).rejects.toThrow(RangeError);
      }
      expect({ latest: h.latest, a: h.origin('a').clientVersion }).toEqual({ latest: 1, a: 1 });
      await h.append('a', 'u', [putTask('a', 2, 't2')], 0);
      await store.release('p');
      await reopen();
      h = await store.acquire('p');
      expect((await readWholeTail(h, 0, 'reader')).map((c) => c.clientVersion)).toEqual([1, 2]);
      await store.release('p');
    });

    it("leaves a client's own changesets out of its tail reads and its byte count", async () => {
      const h = await store.acquire('p');
      await h.append('a', 'u', [putTask('a', 1, 'x')], NOW);
      await h.append('b', 'u', [putTask('b', 1, 'y')], NOW);
      await h.append('a', 'u', [putTask('a', 2, 'z')], NOW);
      const forA = await readWholeTail(h, 0, 'a');
      expect(forA.map((c) => [c.origin, c.serverVersion])).toEqual([['b', 2]]);
      expect(h.tailBytesAfter(0, 'a')).toBe(changesetBytes(putTask('b', 1, 'y')));
      expect(h.tailBytesAfter(0, 'c')).toBe(h.tailBytes);
      expect(h.tailBytesAfter(2, 'a')).toBe(0);
      expect(h.tailBytesAfter(2, 'b')).toBe(changesetBytes(putTask('a', 2, 'z')));
      const batch = await h.readTail(2, 'a', 1_000_000);
      expect(batch).toEqual({ changesetJson: [], through: 3 });
      await store.release('p');
    });

    it('reads the tail in batches of at most maxBytes, at least one changeset each', async () => {
      const h = await store.acquire('p');
      const big = putTask('a', 1, 'big', { text: 'x'.repeat(5000) });
      await h.append('a', 'u', [big, ...Array.from({ length: 20 }, (_, i) => putTask('a', i + 2, `t${i}`))], NOW);
      const one = changesetBytes(putTask('a', 2, 't0'));
      const first = await h.readTail(0, 'r', 10);
      if ('folded' in first) throw new Error('folded');
      expect(first.changesetJson).toHaveLength(1);
      expect(first.through).toBe(1);
      let at = first.through;
      let batches = 0;
      for (; at < h.latest && batches < 100; batches++) {
        const batch = await h.readTail(at, 'r', one * 3);
        if ('folded' in batch) throw new Error('folded');
        const bytes = batch.changesetJson.reduce((n, json) => n + changesetBytes(JSON.parse(json) as Changeset), 0);
        expect(bytes).toBeLessThanOrEqual(one * 3);
        expect(batch.changesetJson.length).toBeGreaterThan(0);
        at = batch.through;
      }
      expect(at).toBe(21);
      // Three fit per batch while ids are short (t0…t9), fewer after: never one per batch only.
      expect(batches).toBeLessThan(20);
      await store.release('p');
    });

    it('reads the state from 0 and the documents changed after a cursor, and says when the tail was folded', async () => {
      const h = await store.acquire('p');
      for (let v = 1; v <= 10; v++) await h.append('a', 'u', [putTask('a', v, `t${v % 4}`, { n: v })], NOW);
      const report = await h.fold(KEEP);
      expect(report).toMatchObject({ from: 0, to: 10, documents: 4 });
      expect(h.stateVersion).toBe(10);
      expect(h.tailBytes).toBe(0);
      const all = await readWholeState(h, 0, 1);
      expect(all.documents.map((d) => d.id).sort()).toEqual(['t0', 't1', 't2', 't3']);
      expect(all.batches).toBe(4);
      expect(all.totalBytes).toBe(h.stateBytes);
      expect(all.totalBytes).toBe(all.documents.reduce((n, d) => n + Buffer.byteLength(JSON.stringify(d)), 0));
      // t1 last changed at 9, t2 at 10, t3 at 7, t0 at 8.
      expect((await readWholeState(h, 8)).documents.map((d) => d.id).sort()).toEqual(['t1', 't2']);
      expect((await readWholeState(h, 7)).documents.map((d) => d.id).sort()).toEqual(['t0', 't1', 't2']);
      expect((await readWholeState(h, 10)).documents).toEqual([]);
      expect(await h.readTail(3, 'r', 1000)).toEqual({ folded: true, stateVersion: 10 });
      await h.append('a', 'u', [putTask('a', 11, 't9')], NOW);
      const tail = await h.readTail(10, 'r', 1000);
      expect('folded' in tail ? tail : tail.changesetJson.length).toBe(1);
      // A partial fold moves the state to `through` only.
      await h.append('a', 'u', [putTask('a', 12, 't8')], NOW);
      expect((await h.fold({ ...KEEP, through: 11 })).to).toBe(11);
      expect(h.stateVersion).toBe(11);
      expect((await readWholeTail(h, 11, 'r')).map((c) => c.serverVersion)).toEqual([12]);
      await store.release('p');
    });

    it('keeps everything across a reopen: epoch, versions, owners, state and tail', async () => {
      let h = await store.acquire('p');
      const history = [putTask('a', 1, 'x'), putTask('a', 2, 'y'), deleteTask('a', 3, 'x'), putTask('a', 4, 'z')];
      await h.append('a', 'alice', history.slice(0, 3), NOW);
      await h.fold({ ...KEEP, through: 2 });
      await h.append('a', 'alice', history.slice(3), NOW);
      const before = { epoch: h.epoch, latest: h.latest, stateVersion: h.stateVersion, stateBytes: h.stateBytes, tailBytes: h.tailBytes };
      const view = dumpDocuments((await clientView(h)).set);
      await store.release('p');
      await reopen();
      h = await store.acquire('p');
      expect({ epoch: h.epoch, latest: h.latest, stateVersion: h.stateVersion, stateBytes: h.stateBytes, tailBytes: h.tailBytes }).toEqual(before);
      expect(h.origin('a')).toEqual({ clientVersion: 4, owner: 'alice' });
      expect(dumpDocuments((await clientView(h)).set)).toEqual(view);
      expect(view).toEqual(dumpDocuments(foldHistory(history)));
      // Re-sent after the restart, nothing is stored twice.
      expect((await h.append('a', 'alice', history, NOW)).added).toEqual([]);
      expect((await h.append('a', 'alice', [putTask('a', 5, 'w')], NOW)).added[0]!.serverVersion).toBe(5);
      await store.release('p');
    });

    it('hands out one handle per partition while it is in use', async () => {
      const [a, b] = await Promise.all([store.acquire('p'), store.acquire('p')]);
      expect(a).toBe(b);
      await a.append('f', 'u', [putTask('f', 1, 'x')], NOW);
      expect(b.latest).toBe(1);
      await store.release('p');
      await store.release('p');
    });

    it('an acquire right after the last release, before it settled, never gets a second handle beside the first', async () => {
      const first = await store.acquire('p');
      await first.append('f', 'u', [putTask('f', 1, 'x')], NOW);
      const released = store.release('p');
      const second = await store.acquire('p');
      await released;
      // Kept for reuse (the same handle) or closed before the new one opened: never two at once.
      if (second !== first) await expect(first.append('f', 'u', [putTask('f', 2, 'y')], NOW)).rejects.toThrow();
      await second.append('f', 'u', [putTask('f', 2, 'y')], NOW);
      expect({ latest: second.latest, f: second.origin('f').clientVersion }).toEqual({ latest: 2, f: 2 });
      expect((await readWholeTail(second, 0, 'reader')).map((c) => c.clientVersion)).toEqual([1, 2]);
      await store.release('p');
    });

    it('reset keepDocuments begins a new epoch with the documents and origins; wipe with nothing; both kept across a reopen', async () => {
      let h = await store.acquire('p');
      const history = [putTask('a', 1, 'x'), deleteTask('a', 2, 'x'), putTask('a', 3, 'y')];
      await h.append('a', 'alice', history, NOW);
      const oldEpoch = h.epoch;
      const epoch = await h.reset('keepDocuments');
      expect(epoch).not.toBe(oldEpoch);
      expect(h.epoch).toBe(epoch);
      expect(h.tailBytes).toBe(0);
      expect(h.origin('a')).toEqual({ clientVersion: 3, owner: 'alice' });
      const kept = dumpDocuments((await clientView(h)).set);
      expect(kept).toEqual(dumpDocuments(foldHistory(history)));
      await store.release('p');
      await reopen();
      h = await store.acquire('p');
      expect(h.epoch).toBe(epoch);
      expect(dumpDocuments((await clientView(h)).set)).toEqual(kept);
      // Uploads go on after it; the origin's stored versions still count.
      expect((await h.append('a', 'alice', [putTask('a', 3, 'y'), putTask('a', 4, 'z')], NOW)).added.map((c) => c.clientVersion)).toEqual([4]);
      const wiped = await h.reset('wipe');
      expect(wiped).not.toBe(epoch);
      expect(h.origin('a').clientVersion).toBe(0);
      expect(h.stateBytes).toBe(0);
      expect(dumpDocuments((await clientView(h)).set)).toEqual({});
      await store.release('p');
      await reopen();
      h = await store.acquire('p');
      expect(h.epoch).toBe(wiped);
      expect(dumpDocuments((await clientView(h)).set)).toEqual({});
      expect((await h.append('a', 'alice', [putTask('a', 1, 'new')], NOW)).added).toHaveLength(1);
      await store.release('p');
    });

    it('a partition acquired and never written is as if never opened', async () => {
      const h = await store.acquire('empty');
      expect(h.latest).toBe(0);
      await store.release('empty');
      await reopen();
      const again = await store.acquire('empty');
      expect(again.latest).toBe(0);
      expect(again.origin('a').clientVersion).toBe(0);
      expect((await readWholeState(again, 0)).documents).toEqual([]);
      await store.release('empty');
    });

    it('drops tombstones older than retention in a fold, raising expiredThrough', async () => {
      const h = await store.acquire('p');
      await h.append('a', 'u', [putTask('a', 1, 'gone'), deleteTask('a', 2, 'gone')], 1_000);
      await h.append('a', 'u', [putTask('a', 3, 'kept'), deleteTask('a', 4, 'young')], 5_000);
      const report = await h.fold({ now: 6_000, retentionMs: 2_000 });
      expect(report.droppedTombstones).toBe(1);
      expect(h.expiredThrough).toBe(2);
      const docs = (await readWholeState(h, 0)).documents;
      expect(docs.map((d) => d.id).sort()).toEqual(['kept', 'young']);
      await store.release('p');
    });

    it('a state read that began before a fold reads its own generation whole', async () => {
      const h = await store.acquire('p');
      for (let v = 1; v <= 200; v++) await h.append('a', 'u', [putTask('a', v, `t${v}`, { text: 'y'.repeat(200) })], NOW);
      await h.fold(KEEP);
      const reader = await h.readState(0);
      const first = await reader.next(2_000);
      // Everything changes meanwhile: a fold replaces the state, a reset wipes it.
      for (let v = 1; v <= 200; v++) await h.append('b', 'u', [putTask('b', v, `t${v}`, { text: 'z' })], NOW);
      await h.fold(KEEP);
      await h.reset('wipe');
      const ids = [...first.documentJson];
      for (let i = 0; i < 1000; i++) {
        const batch = await reader.next(2_000);
        ids.push(...batch.documentJson);
        if (batch.done) break;
      }
      await reader.close();
      expect(reader.stateVersion).toBe(200);
      expect(ids).toHaveLength(200);
      expect(ids.every((json) => json.includes('yyyy'))).toBe(true);
      await store.release('p');
    });

    it('property: state plus tail is the fold of the whole history, for any history and fold points', async () => {
      const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
      const RUNS = 60;
      let changesets = 0;
      let folds = 0;
      let resent = 0;
      let dropped = 0;
      const op = fc.oneof(
        fc.record({ op: fc.constant('put' as const), type: fc.constant('T'), id: fc.constantFrom('a', 'b', 'c', 'd', 'e'), fields: fc.dictionary(fc.constantFrom('f', 'g', 'h'), fc.integer({ min: 0, max: 9 }), { maxKeys: 2 }) }),
        fc.record({ op: fc.constant('delete' as const), type: fc.constant('T'), id: fc.constantFrom('a', 'b', 'c', 'd', 'e') }),
      );
      const step = fc.oneof(
        { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), origin: fc.constantFrom('o1', 'o2', 'o3'), wall: fc.integer({ min: 1, max: 50 }), ops: fc.array(op, { minLength: 1, maxLength: 3 }), resend: fc.boolean() }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('fold' as const), back: fc.nat(5) }) },
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), fc.boolean(), async (steps, retention) => {
          const partition = `prop-${run++}`;
          const h: PartitionHandle = await store.acquire(partition);
          const history: Changeset[] = [];
          const versions = new Map<string, number>();
          const sent = new Map<string, Changeset[]>();
          let time = 0;
          for (const s of steps) {
            time += 10;
            if (s.kind === 'write') {
              const clientVersion = (versions.get(s.origin) ?? 0) + 1;
              versions.set(s.origin, clientVersion);
              const changeset: Changeset = { clientVersion, origin: s.origin, hlc: { wall: s.wall, counter: clientVersion }, ops: s.ops as Operation[] };
              const previous = sent.get(s.origin) ?? [];
              sent.set(s.origin, [...previous, changeset]);
              history.push(changeset);
              // A re-sent upload carries the origin's earlier changesets too.
              await h.append(s.origin, 'u', s.resend ? [...previous.slice(-2), changeset] : [changeset], time);
              if (s.resend) resent++;
            } else {
              const through = Math.max(h.stateVersion, h.latest - s.back);
              await h.fold({ now: time, retentionMs: 1e12, through });
              folds++;
            }
          }
          changesets += history.length;
          expect(h.latest).toBe(history.length);
          const view = await clientView(h);
          expect(dumpDocuments(view.set)).toEqual(dumpDocuments(foldHistory(history)));
          if (retention) {
            // Retention 0 at a time after every write: every tombstone goes, the visible documents stay.
            const report = await h.fold({ now: time + 1, retentionMs: 0 });
            dropped += report.droppedTombstones;
            const after = await clientView(h);
            expect(after.set.visibleByType()).toEqual(foldHistory(history).visibleByType());
            for (const { state } of after.set.entries()) expect(state.tombstone).toBeUndefined();
            // The newest version a dropped tombstone's document was changed at: no earlier than its delete.
            const firstDelete = history.findIndex((c) => c.ops.some((o) => o.op === 'delete'));
            if (report.droppedTombstones > 0) {
              expect(h.expiredThrough).toBeGreaterThanOrEqual(firstDelete + 1);
              expect(h.expiredThrough).toBeLessThanOrEqual(history.length);
            } else expect(after.set.entries().next().done === true || [...after.set.entries()].every(({ state }) => state.tombstone === undefined)).toBe(true);
          }
          await store.release(partition);
        }),
        { numRuns: RUNS, seed },
      );
      console.log(`partition store property (${name}): ${RUNS} runs, seed ${seed} (FC_SEED=${seed} to replay); ${changesets} changesets, ${resent} re-sent uploads, ${folds} folds, ${dropped} tombstones dropped by retention`);
    }, 120_000);
  });
}
