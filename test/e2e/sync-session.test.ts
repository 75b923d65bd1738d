import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App, Credentials, Realm, SessionClosedError, SyncSession, type ConnectionStateChange, type SyncProgress } from '../../src/index.js';
import { eventually, Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
});
afterEach(async () => {
  await h.close();
});

describe('SyncSession against a real server', () => {
  it('two clients on one partition converge; both waits resolve', async () => {
    const a = await h.client();
    const b = await h.client();
    a.realm.write((tx) => tx.put('Task', 't1', { title: 'from a' }));
    b.realm.write((tx) => tx.put('Task', 't2', { title: 'from b' }));
    const sa = a.realm.syncSession!;
    const sb = b.realm.syncSession!;
    await Promise.all([sa.waitForUpload(AbortSignal.timeout(5_000)), sb.waitForUpload(AbortSignal.timeout(5_000))]);
    await Promise.all([sa.waitForDownload(AbortSignal.timeout(5_000)), sb.waitForDownload(AbortSignal.timeout(5_000))]);
    expect(a.realm.objects('Task')).toEqual(b.realm.objects('Task'));
    expect(a.realm.objects('Task').map((o) => o.id)).toEqual(['t1', 't2']);
    expect(sa.state).toBe('active');
    expect(sa.connectionState).toBe('connected');
    expect(sa.isActive).toBe(true);
    expect(SyncSession.forRealm(a.realm)).toBe(sa);
    expect(sa.user).toBe(a.user);
    expect(sa.realmPath).toBe(a.realm.path);
    expect(sa.configuration()?.partition).toBe('p');
    expect(String(sa)).toContain('active');
  });

  it("App({ durability: 'batched' }): commits still upload and survive a reopen", async () => {
    const app = h.app({ durability: 'batched' });
    const a = await h.client('p', {}, app);
    for (let i = 0; i < 20; i++) a.realm.write((tx) => tx.put('Task', `b${i}`, { i }));
    await a.realm.syncSession!.waitForUpload(AbortSignal.timeout(5_000));
    a.realm.close();
    const again = await Realm.open({ sync: { user: a.user, partition: 'p' } });
    expect(again.objects('Task')).toHaveLength(20);
  });

  it('one WebSocket per user, shared by all its sessions', async () => {
    const app = h.app();
    const user = await app.logIn(Credentials.anonymous());
    const realms = await Promise.all(['p1', 'p2', 'p3'].map((partition) => Realm.open({ sync: { user, partition } })));
    await eventually(() => realms.every((r) => r.syncSession!.connectionState === 'connected'), 'all connected');
    expect(h.sockets.get(app)).toBe(1);
    expect(app.syncManager.getAllSessionsFor(user)).toHaveLength(3);
    expect(app.syncManager.getExistingSession(realms[1]!.path)).toBe(realms[1]!.syncSession);
  });

  it('connectionStateChanges emits { previous, current } only on change, in order', async () => {
    const a = await h.client();
    const s = a.realm.syncSession!;
    await eventually(() => s.connectionState === 'connected', 'connected');
    const changes: ConnectionStateChange[] = [];
    const sub = s.connectionStateChanges.subscribe((c) => changes.push(c));
    s.pause();
    s.pause();
    s.resume();
    await eventually(() => s.connectionState === 'connected', 'reconnected');
    sub.unsubscribe();
    expect(changes).toEqual([
      { previous: 'connected', current: 'disconnected' },
      { previous: 'disconnected', current: 'connecting' },
      { previous: 'connecting', current: 'connected' },
    ]);
  });

  it('pause is sticky across reopening the store; writes while paused upload after resume', async () => {
    const a = await h.client('p', { stopPolicy: 'immediately' });
    const b = await h.client();
    const s = a.realm.syncSession!;
    s.pause();
    expect([s.state, s.connectionState]).toEqual(['paused', 'disconnected']);
    a.realm.write((tx) => tx.put('Task', 'while-paused', { n: 1 }));
    a.realm.close();
    const again = await Realm.open({ sync: { user: a.user, partition: 'p', stopPolicy: 'immediately' } });
    expect(again.syncSession).toBe(s); // the same session object, revived by the runtime
    expect(s.state).toBe('paused');
    const upload = s.waitForUpload(AbortSignal.timeout(5_000));
    s.resume();
    await upload;
    await b.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
    expect(b.realm.objectForPrimaryKey('Task', 'while-paused')).toEqual({ n: 1 });
  });

  it('stop policies: immediately → inactive, liveIndefinitely → active, afterChangesUploaded → dying, then inactive; reopen revives', async () => {
    const now = await h.client('p1', { stopPolicy: 'immediately' });
    now.realm.close();
    expect(now.realm.syncSession!.state).toBe('inactive');

    const live = await h.client('p2', { stopPolicy: 'liveIndefinitely' });
    live.realm.close();
    expect(live.realm.syncSession!.state).toBe('active');

    const dying = await h.client('p3');
    const session = dying.realm.syncSession!;
    await eventually(() => session.connectionState === 'connected', 'connected');
    dying.realm.write((tx) => tx.put('Task', 'last', { n: 1 }));
    dying.realm.close();
    expect(session.state).toBe('dying');
    await eventually(() => session.state === 'inactive', 'the dying session to finish uploading');
    const reopened = await Realm.open({ sync: { user: dying.user, partition: 'p3' } });
    expect(reopened.syncSession).toBe(session);
    expect(session.state).toBe('active');
    const reader = await h.client('p3');
    await reader.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
    expect(reader.realm.objectForPrimaryKey('Task', 'last')).toEqual({ n: 1 });
  });

  it('waits: the signal rejects with its reason; nothing pending resolves at once even offline; logout rejects with SessionClosedError', async () => {
    const a = await h.client();
    const s = a.realm.syncSession!;
    await s.waitForUpload(); // nothing pending
    s.pause();
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    const controller = new AbortController();
    const aborted = s.waitForUpload(controller.signal);
    controller.abort(new Error('user gave up'));
    await expect(aborted).rejects.toThrow('user gave up');
    await expect(s.waitForDownload(AbortSignal.timeout(50))).rejects.toMatchObject({ name: 'TimeoutError' });
    const pending = s.waitForUpload();
    a.user.logOut();
    await expect(pending).rejects.toBeInstanceOf(SessionClosedError);
    expect(s.state).toBe('inactive');
    expect(s.configuration()).toBeUndefined();
    expect(s.addProgressNotification('upload', 'reportIndefinitely', () => {})).toBeUndefined();
    s.resume();
    expect(s.state).toBe('inactive'); // a logged-out user's session stays down
  });

  it('progress: forCurrentlyOutstandingWork ends at 1; reportIndefinitely follows until invalidated', async () => {
    const a = await h.client();
    const s = a.realm.syncSession!;
    s.pause();
    a.realm.write((tx) => tx.put('Task', 'big', { text: 'x'.repeat(2_000) }));
    const seen: SyncProgress[] = [];
    const token = s.addProgressNotification('upload', 'reportIndefinitely', (p) => seen.push(p));
    const outstanding: SyncProgress[] = [];
    const done = (async () => {
      for await (const p of s.getProgressStream('upload', 'forCurrentlyOutstandingWork')) outstanding.push(p);
    })();
    s.resume();
    await done;
    expect(outstanding[0]!.progressEstimate).toBe(0);
    expect(outstanding.at(-1)).toMatchObject({ progressEstimate: 1 });
    expect(outstanding.at(-1)!.transferredBytes).toBe(outstanding.at(-1)!.transferableBytes);
    token!.invalidate();
    const before = seen.length;
    a.realm.write((tx) => tx.put('Task', 'more', { n: 2 }));
    await s.waitForUpload(AbortSignal.timeout(5_000));
    expect(seen.length).toBe(before);
    expect(seen.every((p, i) => i === 0 || p.transferredBytes >= seen[i - 1]!.transferredBytes)).toBe(true);
  });

  it('bad configuration throws a TypeError naming the field before anything is opened', async () => {
    const a = await h.client();
    expect(() => new App({ baseUrl: 'ftp://x', storageDir: h.dir })).toThrow(/baseUrl/);
    expect(() => new App({ baseUrl: h.server.url, storageDir: '' })).toThrow(/storageDir/);
    expect(() => new App({ baseUrl: h.server.url, storageDir: h.dir, reconnect: { initialDelayMs: -1 } })).toThrow(/reconnect.initialDelayMs/);
    expect(() => new App({ baseUrl: h.server.url, storageDir: h.dir, durability: 'sometimes' as never })).toThrow(/durability/);
    await expect(Realm.open({ sync: { user: undefined as never, partition: 'p' } })).rejects.toThrow(/sync.user/);
    await expect(Realm.open({ sync: { user: a.user, partition: '' } })).rejects.toThrow(/sync.partition/);
    await expect(Realm.open({ sync: { user: a.user, partition: 'p', stopPolicy: 'never' as never } })).rejects.toThrow(/sync.stopPolicy/);
    await expect(Realm.open({ sync: { user: a.user, partition: 'q', clientReset: { mode: 'yolo' as never } } })).rejects.toThrow(/clientReset.mode/);
    expect(() => a.realm.syncSession!.getProgressStream('sideways' as never, 'reportIndefinitely')).toThrow(/direction/);
    expect(() => Credentials.emailPassword('', 'x')).toThrow(/email/);
  });
});
