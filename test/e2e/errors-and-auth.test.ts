import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, InspectionEvent } from 'xstate';
import { sessionStateOf } from '../../machines/state.js';
import { Realm, SyncSession } from '../../src/index.js';
import { eventually, Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

/** Records every `session.state` a session actor passes through, from the inspection stream. */
function stateRecorder() {
  const states: string[] = [];
  const inspect = (event: InspectionEvent) => {
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as AnyMachineSnapshot;
    if (snapshot.machine?.id !== 'session') return;
    const state = sessionStateOf(snapshot);
    if (states.at(-1) !== state) states.push(state);
  };
  return { states, inspect };
}

describe('errors and auth against a real server', () => {
  it('a refused refresh logs the user out: the session goes inactive and onError hears an auth error', async () => {
    h = await new Harness().start();
    const a = await h.client();
    const s = a.realm.syncSession!;
    await eventually(() => s.connectionState === 'connected', 'connected');
    await h.server.revokeUser(a.user.id);
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    const wait = s.waitForUpload(AbortSignal.timeout(10_000));
    await expect(wait).rejects.toMatchObject({ name: 'SyncError', category: 'auth' });
    await eventually(() => s.state === 'inactive', 'inactive');
    await eventually(() => !a.user.isLoggedIn, 'the user logged out');
    expect(s.configuration()).toBeUndefined();
    await eventually(() => a.errors.length > 0, 'onError');
    expect(a.errors[0]).toMatchObject({ category: 'auth', isFatal: true });
  });

  it('a permission error is fatal: inactive, reported with a delete-the-file token that immediatelyHandleError runs', async () => {
    // Bound while it may read and write, then lowered to no access: its next upload is refused.
    let allowed = true;
    h = await new Harness().start({ permissions: (_u, partition) => (partition === 'ro' && !allowed ? 'none' : 'readWrite') });
    const a = await h.client('ro');
    const s = a.realm.syncSession!;
    await eventually(() => s.connectionState === 'connected', 'connected');
    allowed = false;
    a.realm.write((tx) => tx.put('Task', 'forbidden', { n: 1 }));
    await expect(s.waitForUpload(AbortSignal.timeout(5_000))).rejects.toMatchObject({ category: 'permission', isFatal: true });
    expect(s.state).toBe('inactive');
    await eventually(() => a.errors.length > 0, 'onError');
    const error = a.errors[0]!;
    expect(error.actionToken).toEqual({ action: 'deleteLocalFile', realmPath: a.realm.path });
    expect(() => SyncSession.immediatelyHandleError(error.actionToken!, a.app.syncManager)).toThrow(/close/);
    a.realm.close();
    expect(existsSync(a.realm.path)).toBe(true);
    SyncSession.immediatelyHandleError(error.actionToken!, a.app.syncManager);
    expect(existsSync(a.realm.path)).toBe(false);
    const fresh = await Realm.open({ sync: { user: a.user, partition: 'ro' } });
    expect(fresh.objects('Task')).toEqual([]);
    expect(fresh.syncSession).not.toBe(s);
  });

  it('an error action not run with immediatelyHandleError runs at the next App start', async () => {
    h = await new Harness().start({ permissions: (_u, partition) => (partition === 'ro' ? 'none' : 'readWrite') });
    const storageDir = `${h.dir}/app-pending`;
    const app = h.app({ storageDir });
    const a = await h.client('ro', {}, app);
    a.realm.write((tx) => tx.put('Task', 'forbidden', { n: 1 }));
    await eventually(() => a.errors.length > 0, 'onError');
    a.realm.close();
    app.close();
    expect(existsSync(a.realm.path)).toBe(true);
    h.app({ storageDir }); // the next start of the same app
    expect(existsSync(a.realm.path)).toBe(false);
  });

  it('a server restart is survived with no lost or duplicated change', async () => {
    h = await new Harness().start();
    const port = h.server.port;
    const a = await h.client();
    const b = await h.client();
    const sa = a.realm.syncSession!;
    await eventually(() => sa.connectionState === 'connected' && b.realm.syncSession!.connectionState === 'connected', 'connected');
    a.realm.write((tx) => tx.put('Task', 'before', { n: 1 }));
    await sa.waitForUpload(AbortSignal.timeout(5_000));
    await h.server.close();
    await eventually(() => sa.connectionState === 'disconnected', 'disconnected');
    a.realm.write((tx) => tx.put('Task', 'during', { n: 2 }));
    b.realm.write((tx) => tx.put('Task', 'during-b', { n: 3 }));
    await h.start({}, port);
    await Promise.all([sa.waitForUpload(AbortSignal.timeout(10_000)), b.realm.syncSession!.waitForUpload(AbortSignal.timeout(10_000))]);
    await Promise.all([sa.waitForDownload(AbortSignal.timeout(5_000)), b.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000))]);
    expect(a.realm.objects('Task').map((o) => o.id)).toEqual(['before', 'during', 'during-b']);
    expect(b.realm.objects('Task')).toEqual(a.realm.objects('Task'));
    expect(a.errors).toEqual([]);
  });
});
