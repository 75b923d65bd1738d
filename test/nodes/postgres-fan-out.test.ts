/**
 * Several server nodes on one PostgreSQL database, in this process: what one node commits
 * reaches the sessions bound on another (through the change feed's notifications, or, when
 * those are lost, its poll), tokens of one node work on the others, and a logout or a reset on
 * one is in force on all. Real nodes, real clients, a real throwaway PostgreSQL; skipped with
 * one line without it, mandatory under CI=true.
 */
import { expect } from 'vitest';
import { Credentials, Realm, type SyncError } from '../../src/index.js';
import type { StorageChange } from '../../src/server/index.js';
import { eventually } from '../support/eventually.js';
import { usePostgresNodes, type PostgresNodes } from '../support/postgres-nodes.js';
import { POSTGRES, requiring } from '../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the several-nodes tests');
const TIMEOUT = 20_000;
/** A poll interval no test waits for: delivery within a test is the notification's. */
const NEVER_MS = 600_000;

const post = async (baseUrl: string, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
};

pgAvailable.describe('several nodes on one database', () => {
  const suite = usePostgresNodes(() => pgAvailable.path!, 'fanout');
  const freshNodes = async (): Promise<PostgresNodes> => (await suite.fresh()).nodes;

  pgAvailable.it('writes on one node reach the clients of the other, both ways, by notification (the poll is out of reach)', async () => {
    const n = await freshNodes();
    const one = await n.start({ pollIntervalMs: NEVER_MS });
    const two = await n.start({ pollIntervalMs: NEVER_MS });
    const a = await n.client(one.url, 'p');
    const b = await n.client(two.url, 'p');
    for (let round = 0; round < 20; round++) {
      const writer = round % 2 === 0 ? a : b;
      const reader = writer === a ? b : a;
      writer.realm.write((tx) => tx.put('Task', `t${round}`, { round }));
      await writer.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
      await eventually(() => reader.realm.objectForPrimaryKey('Task', `t${round}`) !== undefined, `round ${round} on the other node`, TIMEOUT);
    }
    expect(a.realm.objects('Task')).toEqual(b.realm.objects('Task'));
    expect(a.realm.objects('Task')).toHaveLength(20);
    expect([...a.errors, ...b.errors]).toEqual([]);
    console.log('fan-out: 20 rounds, each written on one node and delivered to the other by notification');
  });

  pgAvailable.it('with every notification dropped on arrival, the poll still delivers', async () => {
    const n = await freshNodes();
    const dropped: StorageChange[] = [];
    const one = await n.start({ pollIntervalMs: NEVER_MS });
    const two = await n.start({ pollIntervalMs: 200, dropNotifications: (change) => (dropped.push(change), true) });
    const a = await n.client(one.url, 'p');
    const b = await n.client(two.url, 'p');
    for (let round = 0; round < 5; round++) {
      a.realm.write((tx) => tx.put('Task', `t${round}`, { round }));
      await a.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
      await eventually(() => b.realm.objectForPrimaryKey('Task', `t${round}`) !== undefined, `round ${round} by poll`, TIMEOUT);
    }
    // The notifications came, and were dropped: what delivered was the poll.
    expect(dropped.filter((c) => c.kind === 'partition' && c.partition === 'p').length).toBeGreaterThan(0);
    expect(b.realm.objects('Task')).toHaveLength(5);
    console.log(`dropped notifications: ${dropped.length} dropped on arrival, 5 rounds delivered by a 200 ms poll`);
  });

  pgAvailable.it('a token from one node is taken by another; a logout on one is in force on the other', async () => {
    const n = await freshNodes();
    const one = await n.start({ pollIntervalMs: NEVER_MS, users: [{ email: 'ann@example.com', password: 'pw-ann-1' }] });
    const two = await n.start({ pollIntervalMs: NEVER_MS, users: [{ email: 'ann@example.com', password: 'pw-ann-1' }] });
    const login = await post(one.url, '/auth/login', { provider: 'emailPassword', email: 'ann@example.com', password: 'pw-ann-1' });
    expect(login.status).toBe(200);
    const again = await post(two.url, '/auth/login', { provider: 'emailPassword', email: 'ann@example.com', password: 'pw-ann-1' });
    // One user, whichever node logs it in: its files are its own on every node.
    expect(again.body['userId']).toBe(login.body['userId']);
    const refreshed = await post(two.url, '/auth/refresh', { refreshToken: login.body['refreshToken'] });
    expect(refreshed.status).toBe(200);
    await one.revokeUser(String(login.body['userId']));
    // Heard by notification (node two's poll is out of reach).
    let status = 200;
    for (let tries = 0; tries < 200 && status !== 401; tries++) {
      status = (await post(two.url, '/auth/refresh', { refreshToken: login.body['refreshToken'] })).status;
      if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(401);
  });

  pgAvailable.it('a file that moves to another node resumes there: no reset, nothing sent twice; a session watching there sees no reset either', async () => {
    const n = await freshNodes();
    const users = [{ email: 'ann@example.com', password: 'pw-ann-1' }];
    const one = await n.start({ pollIntervalMs: NEVER_MS, users });
    const two = await n.start({ pollIntervalMs: NEVER_MS, users });
    // Node two's handle of `p` is open before the partition is first written, on node one.
    const watcherResets: number[] = [];
    const watcher = await n.client(two.url, 'p', { clientReset: { mode: 'recoverOrDiscard', onAfter: () => watcherResets.push(1) } });
    const storageDir = n.storageDir('ann');
    const first = n.app(one.url, { storageDir });
    const ann = await first.logIn(Credentials.emailPassword('ann@example.com', 'pw-ann-1'));
    const errors: SyncError[] = [];
    let realm = await Realm.open({ sync: { user: ann, partition: 'p', onError: (_s, e) => errors.push(e) } });
    for (let i = 0; i < 10; i++) realm.write((tx) => tx.put('Task', `a${i}`, { i }));
    await realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    await eventually(() => watcher.realm.objects('Task').length === 10, 'the watcher on node two has them', TIMEOUT);
    realm.close();
    first.close();
    await one.close();
    // The same file, now through node two: its cursors name node one's commits.
    const second = n.app(two.url, { storageDir });
    const annThere = await second.logIn(Credentials.emailPassword('ann@example.com', 'pw-ann-1'));
    realm = await Realm.open({ sync: { user: annThere, partition: 'p', onError: (_s, e) => errors.push(e) } });
    for (let i = 10; i < 15; i++) realm.write((tx) => tx.put('Task', `a${i}`, { i }));
    await realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    await realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT));
    await eventually(() => watcher.realm.objects('Task').length === 15, 'the watcher has the writes made through node two', TIMEOUT);
    expect(realm.objects('Task')).toEqual(watcher.realm.objects('Task'));
    expect(errors).toEqual([]);
    expect(watcher.errors).toEqual([]);
    expect(watcherResets).toEqual([]);
  });

  pgAvailable.it('a file whose cursors are ahead of what a node heard is refreshed for, not refused (badCursor)', async () => {
    const n = await freshNodes();
    const users = [{ email: 'bob@example.com', password: 'pw-bob-1' }];
    const one = await n.start({ pollIntervalMs: NEVER_MS, users });
    // Node two hears nothing: its handle of `p`, kept open by the watcher, stays at what it first read.
    const two = await n.start({ pollIntervalMs: NEVER_MS, users, dropNotifications: () => true });
    const watcher = await n.client(two.url, 'p');
    const storageDir = n.storageDir('bob');
    const first = n.app(one.url, { storageDir });
    const errors: SyncError[] = [];
    let realm = await Realm.open({ sync: { user: await first.logIn(Credentials.emailPassword('bob@example.com', 'pw-bob-1')), partition: 'p', onError: (_s, e) => errors.push(e) } });
    for (let i = 0; i < 5; i++) {
      realm.write((tx) => tx.put('Task', `b${i}`, { i }));
      await realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    }
    realm.close();
    first.close();
    const second = n.app(two.url, { storageDir });
    realm = await Realm.open({ sync: { user: await second.logIn(Credentials.emailPassword('bob@example.com', 'pw-bob-1')), partition: 'p', onError: (_s, e) => errors.push(e) } });
    realm.write((tx) => tx.put('Task', 'b5', { i: 5 }));
    await realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    await realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT));
    expect(errors).toEqual([]);
    expect(realm.objects('Task')).toHaveLength(6);
    expect(watcher.realm.objects('Task').length).toBeLessThanOrEqual(6);
  });

  pgAvailable.it('a node that missed another node\'s fold serves a new client from the state (it does not spin on the folded tail)', async () => {
    const n = await freshNodes();
    let dropping = false;
    const one = await n.start({ pollIntervalMs: NEVER_MS });
    const two = await n.start({ pollIntervalMs: NEVER_MS, dropNotifications: () => dropping });
    const a = await n.client(one.url, 'p');
    const b = await n.client(two.url, 'p');
    for (let i = 0; i < 10; i++) a.realm.write((tx) => tx.put('Task', `t${i}`, { i }));
    await a.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    // Node two knows the ten changesets (as tail), then misses the fold that takes them out of it.
    await eventually(() => b.realm.objects('Task').length === 10, 'b has them through node two', TIMEOUT);
    dropping = true;
    const report = await one.compactPartition('p');
    expect(report.to).toBe(10);
    const late = await n.client(two.url, 'p');
    await late.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT));
    expect(late.realm.objects('Task')).toEqual(a.realm.objects('Task'));
    expect(late.errors).toEqual([]);
  });

  pgAvailable.it('a session whose node learns of another node\'s deletion only at an append is reset too, not fed the new epoch', async () => {
    const n = await freshNodes();
    const one = await n.start({ pollIntervalMs: NEVER_MS });
    // Node two hears nothing: it finds the new epoch only when an upload through it commits into it.
    const two = await n.start({ pollIntervalMs: NEVER_MS, dropNotifications: () => true });
    const resets: number[] = [];
    const a = await n.client(one.url, 'p');
    for (let i = 0; i < 5; i++) a.realm.write((tx) => tx.put('Task', `old${i}`, { i }));
    await a.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    const b = await n.client(two.url, 'p', { clientReset: { mode: 'discardUnsyncedChanges', onAfter: (_before, after) => resets.push(after['Task']?.length ?? 0) } });
    await b.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT));
    expect(b.realm.objects('Task')).toHaveLength(5);
    a.app.close();
    await one.deletePartition('p');
    const c = await n.client(two.url, 'p', { clientReset: { mode: 'discardUnsyncedChanges' } });
    c.realm.write((tx) => tx.put('Task', 'new', { i: -1 }));
    await eventually(() => resets.length >= 1, 'b reset through node two', TIMEOUT);
    await eventually(() => b.realm.objectForPrimaryKey('Task', 'old0') === undefined, 'b forgot the deleted documents', TIMEOUT);
  });

  pgAvailable.it('a client whose upload a stale node cannot store after another node\'s deletion is reset, not told to send it again for ever', async () => {
    const n = await freshNodes();
    const one = await n.start({ pollIntervalMs: NEVER_MS });
    const two = await n.start({ pollIntervalMs: NEVER_MS, dropNotifications: () => true });
    const resets: number[] = [];
    const b = await n.client(two.url, 'p', { clientReset: { mode: 'recoverUnsyncedChanges', onAfter: (_before, after) => resets.push(after['Task']?.length ?? 0) } });
    for (let i = 0; i < 3; i++) {
      b.realm.write((tx) => tx.put('Task', `b${i}`, { i }));
      await b.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    }
    await one.deletePartition('p');
    // Client version 4 follows nothing in the new epoch: storage refuses it; the refresh that follows shows the deletion.
    b.realm.write((tx) => tx.put('Task', 'after', { i: 3 }));
    await eventually(() => resets.length === 1, 'b reset through node two', TIMEOUT);
    await b.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    // Recovered: its unsynced write went up again in the new epoch; the deleted documents are gone.
    expect(b.realm.objects('Task').map((o) => o.id)).toEqual(['after']);
  });

  pgAvailable.it('a reset on one node resets the clients of the other', async () => {
    const n = await freshNodes();
    const one = await n.start({ pollIntervalMs: NEVER_MS });
    const two = await n.start({ pollIntervalMs: NEVER_MS });
    const resets: number[] = [];
    const a = await n.client(one.url, 'p');
    const b = await n.client(two.url, 'p', { clientReset: { mode: 'recoverOrDiscard', onAfter: (_before, after) => resets.push(after['Task']?.length ?? 0) } });
    for (let i = 0; i < 10; i++) a.realm.write((tx) => tx.put('Task', `t${i}`, { i }));
    await a.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    await eventually(() => b.realm.objects('Task').length === 10, 'b has them', TIMEOUT);
    await one.resetPartition('p');
    await eventually(() => resets.length === 1, 'b reset through node two', TIMEOUT);
    await b.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT));
    expect(b.realm.objects('Task')).toHaveLength(10);
  });
});
