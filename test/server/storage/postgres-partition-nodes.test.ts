/**
 * What the PostgreSQL backend promises beyond the acceptance suite: several nodes (stores on
 * connection pools of their own) on one database. Uploads racing from two nodes get gap-free
 * versions, each changeset once; a node's stale cache never stores a wrong version and
 * `refresh()` brings it up to date; folds from two nodes at once do not collide; a fold
 * transaction that fails leaves the state and tail as they were; a partition never written
 * leaves no row; `close()` ends the readers it holds but not the pool it was given. On a real,
 * throwaway PostgreSQL; skipped with one line without it, mandatory under CI=true.
 */
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Changeset } from '../../../src/protocol/changeset.codec.js';
import { openPostgresPartitionStore, type PostgresPartitionStore } from '../../../src/server/storage/postgres/index.js';
import { silentLogger } from '../../../src/store/logger.js';
import { putTask } from '../../support/changesets.js';
import { createDatabase, openPool, rowsOf } from '../../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { POSTGRES, requiring } from '../../support/system-component.js';
import { clientView, dumpDocuments, foldHistory, readWholeTail } from './partition-contents.js';

const pgAvailable = requiring(POSTGRES, 'the PostgreSQL storage tests');
let cluster: PostgresCluster | undefined;
const pools: pg.Pool[] = [];
const stores: PostgresPartitionStore[] = [];
const NOW = 10_000_000;

/** A new database and `count` nodes on it, each a store on a pool of its own. */
async function nodes(count: number): Promise<{ sql: pg.Pool[]; store: PostgresPartitionStore[]; url: string }> {
  const { url } = await createDatabase(cluster!.url, 'nodes');
  const sql = Array.from({ length: count }, () => openPool(url, 4));
  pools.push(...sql);
  const store: PostgresPartitionStore[] = [];
  // One after the other: each runs the migrations (idempotent; the migration tests cover racing them).
  for (const s of sql) store.push(await openPostgresPartitionStore(s, { logger: silentLogger, now: () => 0 }));
  stores.push(...store);
  return { sql, store, url };
}

pgAvailable.describe('PostgreSQL partition store: several nodes on one database', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
  }, 120_000);
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(pools.splice(0).map((s) => s.end()));
  });
  afterAll(() => {
    cluster?.stop();
  });

  pgAvailable.it('uploads racing from two nodes get gap-free versions in commit order, each changeset once', async () => {
    const { sql, store } = await nodes(2);
    const [a, b] = await Promise.all([store[0]!.acquire('p'), store[1]!.acquire('p')]);
    const uploads: Array<Promise<unknown>> = [];
    for (let v = 1; v <= 25; v++) {
      uploads.push(a.append('oa', 'alice', [putTask('oa', v, `a${v}`)], NOW));
      uploads.push(b.append('ob', 'bob', [putTask('ob', v, `b${v}`)], NOW));
      // The same upload of a third origin sent to both nodes: stored once.
      const resent = [putTask('oc', v, `c${v}`)];
      uploads.push(a.append('oc', 'carol', resent, NOW), b.append('oc', 'carol', resent, NOW));
    }
    await Promise.all(uploads);
    const rows = await rowsOf<{ v: string; origin: string; cv: string }>(sql[0]!, `
      select server_version as v, origin, client_version as cv from sync_changesets where partition = 'p' order by server_version`);
    expect(rows.map((r) => Number(r.v))).toEqual(Array.from({ length: 75 }, (_, i) => i + 1));
    for (const origin of ['oa', 'ob', 'oc']) {
      // Per origin, client versions in server-version order: 1…25, each once.
      expect(rows.filter((r) => r.origin === origin).map((r) => Number(r.cv))).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    }
    await a.refresh();
    await b.refresh();
    for (const h of [a, b]) {
      expect(h.latest).toBe(75);
      expect(h.origin('oc')).toEqual({ clientVersion: 25, owner: 'carol' });
      expect((await readWholeTail(h, 0, 'reader')).map((c) => c.serverVersion)).toEqual(rows.map((r) => Number(r.v)));
    }
    expect(a.tailBytes).toBe(b.tailBytes);
  });

  pgAvailable.it('a partition never written has one epoch on every node: a client told it by one node and uploading through another is not reset', async () => {
    const { sql, store, url } = await nodes(2);
    const [a, b] = await Promise.all([store[0]!.acquire('p'), store[1]!.acquire('p')]);
    // The client IDENTs on B and learns B's epoch; its upload then goes through A, first.
    const toldByB = b.epoch;
    expect(a.epoch).toBe(toldByB);
    await a.append('o', 'alice', [putTask('o', 1, 'x')], NOW);
    expect((await rowsOf<{ epoch: string }>(sql[0]!, `select epoch from sync_partitions where partition = 'p'`)).map((r) => r.epoch)).toEqual([toldByB]);
    // B, writing next, stores into the same epoch; refreshed, it answers the epoch the client holds.
    await b.append('o', 'alice', [putTask('o', 1, 'x'), putTask('o', 2, 'y')], NOW);
    await b.refresh();
    expect({ a: a.epoch, b: b.epoch, latest: b.latest }).toEqual({ a: toldByB, b: toldByB, latest: 2 });
    // Another partition's initial epoch is its own; a node opened later (a new pool) agrees too.
    const q = await store[0]!.acquire('q');
    expect(q.epoch).not.toBe(toldByB);
    const latePool = openPool(url, 2);
    pools.push(latePool);
    const late = await openPostgresPartitionStore(latePool, { logger: silentLogger, now: () => 0 });
    stores.push(late);
    expect((await late.acquire('q')).epoch).toBe(q.epoch);
    // Epochs after a reset stay random: not the initial one again.
    expect(await b.reset('wipe')).not.toBe(toldByB);
  });

  pgAvailable.it("a node's stale cache stores nothing wrong, and refresh() brings in what other nodes wrote", async () => {
    const { store } = await nodes(2);
    const [a, b] = await Promise.all([store[0]!.acquire('p'), store[1]!.acquire('p')]);
    const upload = [putTask('o', 1, 'x'), putTask('o', 2, 'y'), putTask('o', 3, 'z')];
    await a.append('o', 'alice', upload, NOW);
    // b has not looked since: its cache says nothing is stored.
    expect({ latest: b.latest, o: b.origin('o').clientVersion }).toEqual({ latest: 0, o: 0 });
    await b.refresh();
    expect({ latest: b.latest, o: b.origin('o'), tailBytes: b.tailBytes, epoch: b.epoch }).toEqual({ latest: 3, o: { clientVersion: 3, owner: 'alice' }, tailBytes: a.tailBytes, epoch: a.epoch });
    await a.append('o', 'alice', [putTask('o', 4, 'w')], NOW);
    // Re-sent to b with its next changeset: only that one is new, at the next version.
    const added = await b.append('o', 'alice', [...upload, putTask('o', 4, 'w'), putTask('o', 5, 'v')], NOW);
    expect(added.added.map((c) => [c.clientVersion, c.serverVersion])).toEqual([[5, 5]]);
    expect(b.latest).toBe(5);
    // A gap against what is stored (not what b's cache said) is refused, storing none.
    await a.append('o', 'alice', [putTask('o', 6, 'u')], NOW);
    await expect(b.append('o', 'alice', [putTask('o', 8, 't')], NOW)).rejects.toThrow(RangeError);
    await a.refresh();
    expect(a.latest).toBe(6);
    // A fold on one node, then the other's refresh: it reads the state, not the folded tail.
    await a.fold({ now: NOW, retentionMs: 1e12 });
    await b.refresh();
    expect({ stateVersion: b.stateVersion, stateBytes: b.stateBytes, tailBytes: b.tailBytes }).toEqual({ stateVersion: 6, stateBytes: a.stateBytes, tailBytes: 0 });
    expect(await b.readTail(2, 'r', 1000)).toEqual({ folded: true, stateVersion: 6 });
  });

  pgAvailable.it('a file written by one user is refused to another on a node that never saw its owner, storing nothing', async () => {
    const { store } = await nodes(2);
    // B's handle is open (and knows nothing of file f) before A stores alice's changesets of it.
    const b = await store[1]!.acquire('p');
    const a = await store[0]!.acquire('p');
    await a.append('f', 'alice', [putTask('f', 1, 'x'), putTask('f', 2, 'y')], NOW);
    expect(b.origin('f').owner).toBeUndefined();
    await expect(b.append('f', 'mallory', [putTask('f', 3, 'forged')], NOW)).rejects.toThrow(/belongs to another user/);
    await b.refresh();
    expect(b.latest).toBe(2);
    expect(b.origin('f')).toEqual({ clientVersion: 2, owner: 'alice' });
    // Alice's own next changeset is stored, not skipped as if the forged one had taken its version.
    expect((await a.append('f', 'alice', [putTask('f', 3, 'z')], NOW)).added.map((c) => c.serverVersion)).toEqual([3]);
  });

  pgAvailable.it('folds from two nodes at once do not collide: the state is the fold of the whole history', async () => {
    const { store } = await nodes(2);
    const [a, b] = await Promise.all([store[0]!.acquire('p'), store[1]!.acquire('p')]);
    const history: Changeset[] = [];
    for (let v = 1; v <= 60; v++) {
      const changeset = putTask('o', v, `t${v % 7}`, { n: v });
      history.push(changeset);
      await a.append('o', 'u', [changeset], NOW);
    }
    await b.refresh();
    const reports = await Promise.all([a.fold({ now: NOW, retentionMs: 1e12, through: 30 }), b.fold({ now: NOW, retentionMs: 1e12 }), a.fold({ now: NOW, retentionMs: 1e12 })]);
    expect(Math.max(...reports.map((r) => r.to))).toBe(60);
    await a.refresh();
    await b.refresh();
    for (const h of [a, b]) {
      expect(h.stateVersion).toBe(60);
      expect(dumpDocuments((await clientView(h)).set)).toEqual(dumpDocuments(foldHistory(history)));
    }
    expect(a.stateBytes).toBe(b.stateBytes);
  });

  pgAvailable.it('a fold transaction that fails at its last statement leaves the state and the tail as they were', async () => {
    const { sql, store } = await nodes(1);
    const h = await store[0]!.acquire('p');
    const history = [putTask('o', 1, 'x'), putTask('o', 2, 'y'), putTask('o', 3, 'z'), putTask('o', 4, 'x', { done: true })];
    await h.append('o', 'u', history.slice(0, 2), NOW);
    await h.fold({ now: NOW, retentionMs: 1e12 });
    await h.append('o', 'u', history.slice(2), NOW);
    const documents = async (): Promise<unknown> => rowsOf(sql[0]!, `select type, id, v, json from sync_documents order by type, id`);
    const counts = async (): Promise<unknown> =>
      (await rowsOf<{ state_version: string; state_bytes: string; n: string }>(sql[0]!, `
        select state_version, state_bytes, (select count(*) from sync_changesets) as n from sync_partitions`)).map((r) => [Number(r.state_version), Number(r.state_bytes), Number(r.n)]);
    const before = { documents: await documents(), counts: await counts() };
    // The fold's last statement (moving state_version) fails: its documents written and
    // changesets deleted before it must go with it.
    await sql[0]!.query(`create function fail_fold() returns trigger language plpgsql as $$ begin raise exception 'injected fold failure'; end $$`);
    await sql[0]!.query(`create trigger fail_fold before update on sync_partitions for each row when (new.state_version <> old.state_version) execute function fail_fold()`);
    await expect(h.fold({ now: NOW, retentionMs: 1e12 })).rejects.toThrow(/injected fold failure/);
    expect({ stateVersion: h.stateVersion, tailBytes: h.tailBytes > 0 }).toEqual({ stateVersion: 2, tailBytes: true });
    expect({ documents: await documents(), counts: await counts() }).toEqual(before);
    await sql[0]!.query(`drop trigger fail_fold on sync_partitions`);
    expect((await h.fold({ now: NOW, retentionMs: 1e12 })).to).toBe(4);
    expect(dumpDocuments((await clientView(h)).set)).toEqual(dumpDocuments(foldHistory(history)));
  });

  pgAvailable.it('uploads go on while a fold transaction runs, on the same node and on another', async () => {
    const { sql, store } = await nodes(2);
    const [a, b] = await Promise.all([store[0]!.acquire('p'), store[1]!.acquire('p')]);
    for (let v = 1; v <= 5; v++) await a.append('o', 'u', [putTask('o', v, `t${v}`)], NOW);
    // The fold's document writes take two seconds: it holds its transaction (and key-share locks on the partition row) meanwhile.
    await sql[0]!.query(`create function slow_fold() returns trigger language plpgsql as $$ begin perform pg_sleep(2); return null; end $$`);
    await sql[0]!.query(`create trigger slow_fold after insert on sync_documents for each statement execute function slow_fold()`);
    const order: string[] = [];
    const fold = a.fold({ now: NOW, retentionMs: 1e12 }).then(() => order.push('fold'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await a.append('o', 'u', [putTask('o', 6, 'x')], NOW).then(() => order.push('append here'));
    await b.append('q', 'u', [putTask('q', 1, 'y')], NOW).then(() => order.push('append elsewhere'));
    await fold;
    expect(order).toEqual(['append here', 'append elsewhere', 'fold']);
    await a.refresh();
    expect({ latest: a.latest, stateVersion: a.stateVersion }).toEqual({ latest: 7, stateVersion: 5 });
  });

  pgAvailable.it('a partition acquired and never written leaves no row; close() ends its readers but not the pool', async () => {
    const { sql, store } = await nodes(1);
    const h = await store[0]!.acquire('empty');
    expect((await h.append('o', 'u', [], NOW)).added).toEqual([]);
    await store[0]!.release('empty');
    expect(await rowsOf(sql[0]!, `select partition from sync_partitions`)).toHaveLength(0);

    const p = await store[0]!.acquire('p');
    for (let v = 1; v <= 300; v++) await p.append('o', 'u', [putTask('o', v, `t${v}`)], NOW);
    await p.fold({ now: NOW, retentionMs: 1e12 });
    const reader = await p.readState(0);
    const first = await reader.next(100);
    expect(first.done).toBe(false);
    const open = async (): Promise<number> =>
      Number((await rowsOf<{ n: string }>(sql[0]!, `select count(*) as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`))[0]!.n);
    expect(await open()).toBe(1);
    await store[0]!.close();
    expect(await open()).toBe(0);
    // The pool is the caller's: still usable after the store closed.
    expect(await rowsOf(sql[0]!, `select 1 as one`)).toEqual([{ one: 1 }]);
  });

  pgAvailable.it('a document id, type or origin holding a lone surrogate or a NUL is refused with a RangeError, storing nothing; the partition folds on', async () => {
    const { store } = await nodes(1);
    const h = await store[0]!.acquire('p');
    for (const bad of [
      () => h.append('a', 'u', [putTask('a', 1, '\ud800')], NOW),
      () => h.append('a', 'u', [putTask('a', 1, 'x\udc00')], NOW),
      () => h.append('a', 'u', [putTask('a', 1, 'nul\u0000id')], NOW),
      () => h.append('a', 'u', [{ ...putTask('a', 1, 'ok'), ops: [{ op: 'put', type: 'T\u0000', id: 'ok', fields: { n: 1 } }] }], NOW),
      () => h.append('o\u0000', 'u', [putTask('o\u0000', 1, 'ok')], NOW),
    ]) {
      await expect(bad()).rejects.toThrow(RangeError);
    }
    expect({ latest: h.latest, a: h.origin('a').clientVersion }).toEqual({ latest: 0, a: 0 });
    // A well-formed pair and other scripts are kept as they are.
    await h.append('a', 'u', [putTask('a', 1, '\ud83d\ude00 é 中'), putTask('a', 2, 'plain')], NOW);
    await h.fold({ now: NOW, retentionMs: 1e12 });
    expect(Object.keys(dumpDocuments((await clientView(h)).set)).length).toBe(2);
    await store[0]!.release('p');
  });

  pgAvailable.it("a stale node folding after another node folded what it never saw reads the partition again: no state past its latest", async () => {
    const { store } = await nodes(2);
    const a = await store[0]!.acquire('p');
    const b = await store[1]!.acquire('p');
    await a.append('a', 'u', [putTask('a', 1, 't1')], NOW);
    await b.refresh();
    for (let v = 2; v <= 6; v++) await a.append('a', 'u', [putTask('a', v, `t${v}`)], NOW);
    // A folds what B never saw; then B folds, from the database's state.
    await a.fold({ now: NOW, retentionMs: 1e12 });
    await b.fold({ now: NOW, retentionMs: 1e12 });
    expect(b.stateVersion).toBeLessThanOrEqual(b.latest);
    expect({ latest: b.latest, stateVersion: b.stateVersion }).toEqual({ latest: 6, stateVersion: 6 });
    await store[0]!.release('p');
    await store[1]!.release('p');
  });
});
