/**
 * docs/SEMANTICS.md §9 against a real server: a closed realm refuses use with a typed error, and
 * a wait or a progress stream on a session that will not sync again settles (never hangs), while
 * one on a session that still uploads (dying, or paused until resumed) resolves once uploaded.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RealmClosedError, SessionClosedError, type SyncProgress, type SyncSession } from '../../src/index.js';
import { ClosedError } from '../../src/store/store-errors.js';
import { eventually, Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
});
afterEach(async () => {
  await h.close();
});

/** Every report of a stream until it ends by itself. */
async function untilEnd(session: SyncSession, direction: 'upload' | 'download'): Promise<SyncProgress[]> {
  const seen: SyncProgress[] = [];
  for await (const p of session.getProgressStream(direction, 'reportIndefinitely')) seen.push(p);
  return seen;
}

describe('closed realms and the waits of their sessions (docs/SEMANTICS.md §9)', () => {
  it('write on a closed realm throws RealmClosedError naming the path; its callback never runs', async () => {
    const a = await h.client();
    a.realm.close();
    let called = false;
    const write = () =>
      a.realm.write(() => {
        called = true;
      });
    expect(write).toThrow(RealmClosedError);
    expect(write).toThrow(a.realm.path);
    expect(called).toBe(false);
    try {
      a.realm.objects('Task');
      expect.unreachable('objects on a closed realm');
    } catch (error) {
      expect(error).toBeInstanceOf(ClosedError);
      expect(error).toMatchObject({ name: 'RealmClosedError', path: a.realm.path, operation: 'objects' });
    }
  });

  it('write on a realm whose app was closed throws RealmClosedError too', async () => {
    const a = await h.client();
    a.app.close();
    const write = () => a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    expect(write).toThrow(RealmClosedError);
    expect(write).toThrow(expect.objectContaining({ name: 'RealmClosedError', path: a.realm.path, operation: 'write' }));
  });

  it('closed with nothing pending: inactive; an upload wait resolves, a download wait rejects, a stream reports once and ends', async () => {
    const a = await h.client();
    const s = a.realm.syncSession!;
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    await s.waitForUpload(AbortSignal.timeout(5_000));
    a.realm.close();
    expect(s.state).toBe('inactive');
    await s.waitForUpload();
    await expect(s.waitForDownload()).rejects.toBeInstanceOf(SessionClosedError);
    const reports = await untilEnd(s, 'upload');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ progressEstimate: 1 });
    const seen: SyncProgress[] = [];
    expect(s.addProgressNotification('upload', 'reportIndefinitely', (p) => seen.push(p))).toBeDefined();
    await eventually(() => seen.length === 1, 'the one report of a notification on an ended session');
  });

  it('closed with uploads pending under stopPolicy immediately: an upload wait rejects with SessionClosedError', async () => {
    const a = await h.client('p', { stopPolicy: 'immediately' });
    const s = a.realm.syncSession!;
    const before = s.waitForUpload();
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    const during = s.waitForUpload();
    a.realm.close();
    expect(s.state).toBe('inactive');
    await before; // nothing was pending when it was called
    await expect(during).rejects.toBeInstanceOf(SessionClosedError);
    await expect(s.waitForUpload()).rejects.toBeInstanceOf(SessionClosedError);
  });

  it('dying: a wait called before or after the close resolves once uploaded, then the session is inactive', async () => {
    const a = await h.client();
    const s = a.realm.syncSession!;
    await eventually(() => s.connectionState === 'connected', 'connected');
    a.realm.write((tx) => tx.put('Task', 'last', { n: 1 }));
    const before = s.waitForUpload(AbortSignal.timeout(5_000));
    a.realm.close();
    expect(s.state).toBe('dying');
    const after = s.waitForUpload(AbortSignal.timeout(5_000));
    await Promise.all([before, after]);
    await eventually(() => s.state === 'inactive', 'inactive once uploaded');
    const reader = await h.client();
    await reader.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
    expect(reader.realm.objectForPrimaryKey('Task', 'last')).toEqual({ n: 1 });
  });

  it('paused and closed: a wait stays pending (pause is sticky) until resume(), then resolves once uploaded', async () => {
    const a = await h.client();
    const s = a.realm.syncSession!;
    s.pause();
    a.realm.write((tx) => tx.put('Task', 'paused', { n: 1 }));
    a.realm.close();
    expect(s.state).toBe('paused');
    let settled = false;
    const wait = s.waitForUpload(AbortSignal.timeout(10_000)).finally(() => {
      settled = true;
    });
    // The session's file is released (a paused session syncs nothing); a round trip to the server
    // of another client shows time passed without the wait settling.
    const other = await h.client();
    await other.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
    expect(settled).toBe(false);
    s.resume();
    expect(s.state).toBe('dying');
    await wait;
    await eventually(() => s.state === 'inactive', 'inactive once uploaded');
  });

  it('after app.close(): waits reject with SessionClosedError, streams end at once, notifications are refused', async () => {
    const a = await h.client();
    const s = a.realm.syncSession!;
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    a.app.close();
    await expect(s.waitForUpload()).rejects.toBeInstanceOf(SessionClosedError);
    await expect(s.waitForDownload()).rejects.toBeInstanceOf(SessionClosedError);
    expect(await untilEnd(s, 'upload')).toEqual([]);
    expect(await untilEnd(s, 'download')).toEqual([]);
    expect(s.addProgressNotification('upload', 'reportIndefinitely', () => {})).toBeUndefined();
  });

  it('after logout: a download wait rejects with SessionClosedError and a stream reports once and ends', async () => {
    const a = await h.client();
    const s = a.realm.syncSession!;
    a.user.logOut();
    expect(s.state).toBe('inactive');
    await expect(s.waitForDownload()).rejects.toBeInstanceOf(SessionClosedError);
    expect(await untilEnd(s, 'download')).toHaveLength(1);
  });
});
