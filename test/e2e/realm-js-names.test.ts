/**
 * The realm-js names of a session (src/client/realm-js-names.ts) against a real server: each a
 * thin delegation to the idiomatic API, checked for what it delegates to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError, type SyncProgress } from '../../src/index.js';
import { eventually, Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('the realm-js names against a real server', () => {
  it('isConnected() and add/removeConnectionNotification(cb): (newState, oldState) at each change, none after removal', async () => {
    h = await new Harness().start();
    const a = await h.client();
    const s = a.realm.syncSession!;
    const calls: Array<[string, string]> = [];
    const callback = (newState: string, oldState: string): void => void calls.push([newState, oldState]);
    s.addConnectionNotification(callback);
    await eventually(() => s.isConnected(), 'connected');
    expect(s.isConnected()).toBe(s.connectionState === 'connected');
    s.pause();
    await eventually(() => !s.isConnected(), 'disconnected by pause');
    expect(calls.at(-1)).toEqual(['disconnected', 'connected']);
    const seen = calls.length;
    s.removeConnectionNotification(callback);
    s.resume();
    await eventually(() => s.isConnected(), 'connected again');
    expect(calls).toHaveLength(seen);
    expect(() => s.addConnectionNotification('no' as never)).toThrow(TypeError);
  });

  it('removeProgressNotification(cb) ends what addProgressNotification added with that callback', async () => {
    h = await new Harness().start();
    const a = await h.client();
    const s = a.realm.syncSession!;
    const reports: SyncProgress[] = [];
    const callback = (p: SyncProgress): void => void reports.push(p);
    s.addProgressNotification('upload', 'reportIndefinitely', callback);
    a.realm.write((tx) => tx.put('Task', 't1', { n: 1 }));
    await s.waitForUpload();
    await eventually(() => reports.at(-1)?.isTransferComplete === true && reports.at(-1)!.transferredBytes > 0, 'the upload reported complete');
    s.removeProgressNotification(callback);
    const seen = reports.length;
    a.realm.write((tx) => tx.put('Task', 't2', { n: 2 }));
    await s.waitForUpload();
    await new Promise((resolve) => setImmediate(resolve));
    expect(reports).toHaveLength(seen);
  });

  it('uploadAllLocalChanges / downloadAllServerChanges wait as waitForUpload / waitForDownload, and reject after timeoutMs with a TimeoutError', async () => {
    h = await new Harness().start();
    const a = await h.client();
    const b = await h.client();
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    await a.realm.syncSession!.uploadAllLocalChanges(10_000);
    await b.realm.syncSession!.downloadAllServerChanges();
    expect(b.realm.objectForPrimaryKey('Task', 'x')).toEqual({ n: 1 });
    // Paused, nothing uploads: the wait runs out.
    a.realm.syncSession!.pause();
    a.realm.write((tx) => tx.put('Task', 'y', { n: 2 }));
    const late = a.realm.syncSession!.uploadAllLocalChanges(50);
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
    await expect(late).rejects.toThrow('Uploading changes did not complete in 50 ms.');
    b.realm.syncSession!.pause();
    await expect(b.realm.syncSession!.downloadAllServerChanges(30)).rejects.toThrow('Downloading changes did not complete in 30 ms.');
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '5' as never]) {
      await expect(a.realm.syncSession!.uploadAllLocalChanges(bad)).rejects.toThrow(/uploadAllLocalChanges: timeoutMs must be a number of ms from 0 to 2147483647/);
    }
    // Resumed, the change made while paused still uploads (the timeout cancelled only the wait).
    a.realm.syncSession!.resume();
    await a.realm.syncSession!.uploadAllLocalChanges(10_000);
  });

  it('registrations by callback hold nothing once ended: invalidated tokens, notifiers done by themselves, removed callbacks', async () => {
    h = await new Harness().start();
    const a = await h.client();
    const s = a.realm.syncSession!;
    await s.waitForUpload();
    const tokens = Array.from({ length: 100 }, () => s.addProgressNotification('upload', 'reportIndefinitely', () => undefined)!);
    expect(s.realmJsCallbacks).toBe(100);
    for (const token of tokens) token.invalidate();
    expect(s.realmJsCallbacks).toBe(0);
    // Nothing outstanding: each reports once and ends by itself.
    for (let i = 0; i < 100; i++) s.addProgressNotification('upload', 'forCurrentlyOutstandingWork', () => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.realmJsCallbacks).toBe(0);
    const callbacks = Array.from({ length: 50 }, () => () => undefined);
    for (const cb of callbacks) s.addConnectionNotification(cb);
    expect(s.realmJsCallbacks).toBe(50);
    for (const cb of callbacks) s.removeConnectionNotification(cb);
    expect(s.realmJsCallbacks).toBe(0);
  });
});
