/**
 * A client offline for longer than the server's `historyRetentionMs` cannot be caught up from
 * the partition's state: a deletion it never downloaded was forgotten, and merging the state
 * would keep the deleted document alive on it. The server says `clientFileExpired`; the client
 * resets in its configured mode. Against a real server whose clock the test moves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, Harness } from './harness.js';

const RETENTION_MS = 60_000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * Client A syncs two tasks, goes offline and writes one more; client B deletes one of A's tasks
 * and writes another; the server's clock passes the retention and the partition is compacted,
 * so the deletion's tombstone is dropped; then A comes back.
 */
async function offlinePastRetention(mode: 'recoverUnsyncedChanges' | 'discardUnsyncedChanges' | 'manual') {
  let offset = 0;
  h = await new Harness().start({ historyRetentionMs: RETENTION_MS, now: () => Date.now() + offset });
  const resets: string[] = [];
  const a = await h.client('p', {
    clientReset: { mode, onBefore: () => void resets.push('before'), onAfter: (_b, _a, didRecover) => void resets.push(`after(${didRecover})`) },
  });
  const s = a.realm.syncSession!;
  a.realm.write((tx) => {
    tx.put('Task', 'kept', { n: 1 });
    tx.put('Task', 'deleted-by-b', { n: 2 });
  });
  await s.waitForUpload(AbortSignal.timeout(5_000));
  s.pause();
  a.realm.write((tx) => tx.put('Task', 'offline', { n: 3 }));

  const b = await h.client('p');
  await b.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
  b.realm.write((tx) => tx.delete('Task', 'deleted-by-b'));
  b.realm.write((tx) => tx.put('Task', 'by-b', { n: 4 }));
  await b.realm.syncSession!.waitForUpload(AbortSignal.timeout(5_000));

  offset += RETENTION_MS + 1_000;
  const report = await h.server.compactPartition('p');
  expect(report.droppedTombstones).toBe(1);
  s.resume();
  return { a, b, s, resets };
}

describe('a client offline past historyRetentionMs', () => {
  it('recoverUnsyncedChanges: gets clientFileExpired, resets, keeps its offline change, and holds exactly the server state', async () => {
    const { a, b, s, resets } = await offlinePastRetention('recoverUnsyncedChanges');
    await eventually(() => resets.length === 2, 'the reset callbacks');
    expect(resets).toEqual(['before', 'after(true)']);
    await s.waitForUpload(AbortSignal.timeout(5_000));
    await s.waitForDownload(AbortSignal.timeout(5_000));
    // The deleted task does not come back; the offline one is uploaded.
    expect(a.realm.objects('Task').map((o) => o.id)).toEqual(['by-b', 'kept', 'offline']);
    await b.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
    expect(b.realm.objects('Task')).toEqual(a.realm.objects('Task'));
    // An automatic reset is not an error of the app's (Realm's semantics): nothing reaches onError.
    expect(a.errors).toEqual([]);
  });

  it('manual: the session stops with a clientFileExpired error of category clientReset', async () => {
    const { a, s } = await offlinePastRetention('manual');
    await eventually(() => s.state === 'inactive', 'inactive');
    await eventually(() => a.errors.length > 0, 'onError');
    // The server's reason reaches the app in the manual reset's message.
    expect(a.errors[0]).toMatchObject({ code: 'clientResetManual', category: 'clientReset', isFatal: true, actionToken: { action: 'clientResetBackup' } });
    expect(a.errors[0]!.message).toMatch(/older than a deletion the server forgot/);
  });

  it('discardUnsyncedChanges: resets, drops its offline change, and holds exactly the server state', async () => {
    const { a, b, s, resets } = await offlinePastRetention('discardUnsyncedChanges');
    await eventually(() => resets.length === 2, 'the reset callbacks');
    expect(resets).toEqual(['before', 'after(false)']);
    await s.waitForDownload(AbortSignal.timeout(5_000));
    expect(a.realm.objects('Task').map((o) => o.id)).toEqual(['by-b', 'kept']);
    await b.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
    expect(b.realm.objects('Task')).toEqual(a.realm.objects('Task'));
  });

  it('a client offline for less than the retention catches up without a reset, also from behind the state', async () => {
    let offset = 0;
    h = await new Harness().start({ historyRetentionMs: RETENTION_MS, now: () => Date.now() + offset });
    let resets = 0;
    const a = await h.client('p', { clientReset: { mode: 'recoverUnsyncedChanges', onBefore: () => void resets++ } });
    const s = a.realm.syncSession!;
    a.realm.write((tx) => tx.put('Task', 'one', { n: 1 }));
    await s.waitForUpload(AbortSignal.timeout(5_000));
    s.pause();
    const b = await h.client('p');
    await b.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
    b.realm.write((tx) => tx.delete('Task', 'one'));
    b.realm.write((tx) => tx.put('Task', 'two', { n: 2 }));
    await b.realm.syncSession!.waitForUpload(AbortSignal.timeout(5_000));
    // Folded, but within the retention: the tombstone stays in the state, and A, behind the
    // state's version, is caught up from the state's changes since its cursor.
    offset += RETENTION_MS / 2;
    const report = await h.server.compactPartition('p');
    expect(report.droppedTombstones).toBe(0);
    expect(report.to).toBeGreaterThan(report.from);
    s.resume();
    await s.waitForDownload(AbortSignal.timeout(5_000));
    expect(a.realm.objects('Task').map((o) => o.id)).toEqual(['two']);
    expect(resets).toBe(0);
    expect(a.errors).toEqual([]);
  });
});
