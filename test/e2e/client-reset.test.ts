import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Realm, SyncSession, type DocumentsSnapshot } from '../../src/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { eventually, Harness } from './harness.js';

let h: Harness;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await h.close();
});

/** A client with one synced task, then a local change the server never got, then the partition reset. */
async function resetWithUnsyncedChange(mode: 'discardUnsyncedChanges' | 'recoverUnsyncedChanges' | 'recoverOrDiscard' | 'manual') {
  h = await new Harness().start();
  const calls: string[] = [];
  const before: unknown[] = [];
  const after: unknown[] = [];
  const a = await h.client('p', {
    clientReset: {
      mode,
      onBefore: (docs) => {
        calls.push('onBefore');
        before.push(docs);
      },
      onAfter: (_b, docs, didRecover) => {
        calls.push(`onAfter(${didRecover})`);
        after.push(docs);
      },
    },
  });
  const s = a.realm.syncSession!;
  a.realm.write((tx) => tx.put('Task', 'synced', { n: 1 }));
  await s.waitForUpload(AbortSignal.timeout(5_000));
  s.pause();
  a.realm.write((tx) => tx.put('Task', 'unsynced', { n: 2 }));
  await h.server.resetPartition('p');
  const other = await h.client('p');
  other.realm.write((tx) => tx.put('Task', 'after-reset', { n: 3 }));
  await other.realm.syncSession!.waitForUpload(AbortSignal.timeout(5_000));
  s.resume();
  return { a, s, calls, before, after, other };
}

describe('client reset against a real partition reset', () => {
  it('discardUnsyncedChanges: the file starts over from the new history; onBefore and onAfter run', async () => {
    const { a, s, calls, before, after } = await resetWithUnsyncedChange('discardUnsyncedChanges');
    await eventually(() => calls.length === 2, 'the reset callbacks');
    await s.waitForDownload(AbortSignal.timeout(5_000));
    expect(calls).toEqual(['onBefore', 'onAfter(false)']);
    expect(before).toEqual([{ Task: [{ id: 'synced', fields: { n: 1 } }, { id: 'unsynced', fields: { n: 2 } }] }]);
    // onAfter sees the realm as it is after the reset: the server's fresh state (the acknowledged
    // document, back with the new epoch, and another user's document); only the unsynced one is gone.
    expect(after).toEqual([{ Task: [{ id: 'after-reset', fields: { n: 3 } }, { id: 'synced', fields: { n: 1 } }] }]);
    expect(a.realm.objects('Task').map((o) => o.id)).toEqual(['after-reset', 'synced']);
    expect(s.state).toBe('active');
    expect(a.errors).toEqual([]);
  });

  it('recoverUnsyncedChanges: changes not yet uploaded are replayed on the fresh state and uploaded', async () => {
    const { a, s, calls, after, other } = await resetWithUnsyncedChange('recoverUnsyncedChanges');
    await eventually(() => calls.length === 2, 'the reset callbacks');
    await s.waitForUpload(AbortSignal.timeout(5_000));
    await s.waitForDownload(AbortSignal.timeout(5_000));
    expect(calls).toEqual(['onBefore', 'onAfter(true)']);
    // The server's fresh state with the recovered local change on it.
    expect(after).toEqual([{ Task: [{ id: 'after-reset', fields: { n: 3 } }, { id: 'synced', fields: { n: 1 } }, { id: 'unsynced', fields: { n: 2 } }] }]);
    expect(a.realm.objects('Task').map((o) => o.id)).toEqual(['after-reset', 'synced', 'unsynced']);
    await other.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
    expect(other.realm.objects('Task')).toEqual(a.realm.objects('Task'));
  });

  it('manual: the session stops, reports a clientReset error whose token moves the file to a backup', async () => {
    const { a, s } = await resetWithUnsyncedChange('manual');
    await eventually(() => s.state === 'inactive', 'inactive');
    await eventually(() => a.errors.length > 0, 'onError');
    const error = a.errors[0]!;
    expect(error).toMatchObject({ category: 'clientReset', isFatal: true });
    expect(error.actionToken?.action).toBe('clientResetBackup');
    // The error names where the backup will be before the action runs (Realm's clientResetInfo()).
    expect(error.backupPath).toMatch(new RegExp(`^${a.realm.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.backup-`));
    expect(existsSync(error.backupPath!)).toBe(false);
    a.realm.close();
    const backup = SyncSession.immediatelyHandleError(error.actionToken!, a.app.syncManager);
    expect(backup).toBe(error.backupPath);
    expect(existsSync(backup!)).toBe(true);
    expect(existsSync(a.realm.path)).toBe(false);
    const fresh = await Realm.open({ sync: { user: a.user, partition: 'p' } });
    await fresh.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
    expect(fresh.objects('Task').map((o) => o.id)).toEqual(['after-reset', 'synced']);
  });

  it('an exception in onBefore turns the reset into manual', async () => {
    h = await new Harness().start();
    const a = await h.client('p', { clientReset: { mode: 'recoverOrDiscard', onBefore: () => { throw new Error('not now'); } } });
    const s = a.realm.syncSession!;
    await eventually(() => s.connectionState === 'connected', 'connected');
    await h.server.resetPartition('p');
    await eventually(() => s.state === 'inactive', 'inactive');
    await eventually(() => a.errors.length > 0, 'onError');
    expect(a.errors[0]).toMatchObject({ category: 'clientReset', actionToken: { action: 'clientResetBackup' } });
  });

  it('onAfter waits for the server\'s fresh state, across a pause and resume, and runs once', async () => {
    h = await new Harness().start();
    const stalling = (proxy = await new FaultProxy(h.server.url).start());
    const afters: DocumentsSnapshot[] = [];
    const a = await h.client(
      'p',
      {
        clientReset: {
          mode: 'recoverUnsyncedChanges',
          // The reset's own traffic is held: the session is back on the socket, the fresh state not yet in.
          onBefore: () => stalling.stall(true),
          onAfter: (_before, after) => afters.push(after),
        },
      },
      h.app({ baseUrl: stalling.url }),
    );
    const s = a.realm.syncSession!;
    a.realm.write((tx) => tx.put('Task', 'synced', { n: 1 }));
    await s.waitForUpload(AbortSignal.timeout(5_000));
    await h.server.resetPartition('p');
    await eventually(() => a.realm.objects('Task').length === 0, 'the reset file');
    const other = await h.client('p');
    other.realm.write((tx) => tx.put('Task', 'theirs', { n: 2 }));
    await other.realm.syncSession!.waitForUpload(AbortSignal.timeout(5_000));
    a.realm.write((tx) => tx.put('Task', 'mine', { n: 3 }));
    // Nothing from the server can have arrived: onAfter has not run.
    expect(afters).toEqual([]);
    s.pause();
    s.resume();
    stalling.stall(false);
    await eventually(() => afters.length === 1, 'onAfter');
    // The acknowledged document comes back with the new epoch (resetPartition keeps it).
    expect(afters[0]).toEqual({ Task: [{ id: 'mine', fields: { n: 3 } }, { id: 'synced', fields: { n: 1 } }, { id: 'theirs', fields: { n: 2 } }] });
    await s.waitForDownload(AbortSignal.timeout(5_000));
    await s.waitForUpload(AbortSignal.timeout(5_000));
    expect(afters).toHaveLength(1);
    expect(s.state).toBe('active');
    expect(a.errors).toEqual([]);
  });

  it('an exception in onAfter turns the reset into manual', async () => {
    h = await new Harness().start();
    const a = await h.client('p', { clientReset: { mode: 'discardUnsyncedChanges', onAfter: () => { throw new Error('not now'); } } });
    const s = a.realm.syncSession!;
    await eventually(() => s.connectionState === 'connected', 'connected');
    await h.server.resetPartition('p');
    await eventually(() => s.state === 'inactive', 'inactive');
    await eventually(() => a.errors.length > 0, 'onError');
    expect(a.errors[0]).toMatchObject({ category: 'clientReset', code: 'clientResetManual', actionToken: { action: 'clientResetBackup' } });
  });
});
