/**
 * Compensating writes against a real server: a user who may only read a partition writes to
 * it. The server refuses those writes without ending the session (`compensatingWrite`, listing
 * them), the user's file goes back to the server's state of those documents, the session stays
 * active and keeps receiving, and once the user may write again its writes sync as any others.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Realm, SyncError } from '../../src/index.js';
import { eventually, Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const tasks = (realm: { objects(type: string): ReadonlyArray<{ id: string; fields: Readonly<Record<string, unknown>> }> }) =>
  Object.fromEntries(realm.objects('Task').map((o) => [o.id, o.fields]));

describe('compensating writes', () => {
  it('reverts the refused writes to the server state, keeps the session active and syncing, and syncs the user once it may write', { timeout: 30_000 }, async () => {
    const readOnly = new Set<string>();
    h = await new Harness().start({ permissions: (userId) => (readOnly.has(userId) ? 'read' : 'readWrite') });
    const writer = await h.client('shared');
    writer.realm.write((tx) => {
      tx.put('Task', 'a', { title: 'from the writer', n: 1 });
      tx.put('Task', 'b', { n: 2 });
    });
    await writer.realm.syncSession!.waitForUpload();

    const reader = await h.client('shared');
    readOnly.add(reader.user.id);
    await reader.realm.syncSession!.waitForDownload();
    expect(tasks(reader.realm)).toEqual({ a: { title: 'from the writer', n: 1 }, b: { n: 2 } });

    // Three refused writes: a changed field, a deleted document, a new one.
    reader.realm.write((tx) => {
      tx.put('Task', 'a', { n: 99 });
      tx.delete('Task', 'b');
      tx.put('Task', 'c', { n: 3 });
    });
    expect(tasks(reader.realm)).toEqual({ a: { title: 'from the writer', n: 99 }, c: { n: 3 } });
    // Acknowledged once the server answered the refused versions (handed back emptied): it resolves.
    await reader.realm.syncSession!.waitForUpload();

    expect(reader.errors).toHaveLength(1);
    const error = reader.errors[0]!;
    expect(error).toBeInstanceOf(SyncError);
    expect(error).toMatchObject({ code: 'compensatingWrite', category: 'session', isFatal: false });
    const reason = `user ${reader.user.id} may only read partition shared`;
    expect([...error.compensatingWrites].sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { type: 'Task', id: 'a', reason },
      { type: 'Task', id: 'b', reason },
      { type: 'Task', id: 'c', reason },
    ]);
    expect(tasks(reader.realm)).toEqual({ a: { title: 'from the writer', n: 1 }, b: { n: 2 } });
    expect(reader.realm.syncSession!.state).toBe('active');

    // Still syncing: what the writer writes next arrives.
    writer.realm.write((tx) => tx.put('Task', 'd', { n: 4 }));
    await writer.realm.syncSession!.waitForUpload();
    await reader.realm.syncSession!.waitForDownload();
    expect(tasks(reader.realm)).toMatchObject({ d: { n: 4 } });

    // Allowed to write again: the reader's next write reaches the writer; the refused ones never did.
    readOnly.delete(reader.user.id);
    reader.realm.write((tx) => tx.put('Task', 'e', { n: 5 }));
    await reader.realm.syncSession!.waitForUpload();
    await writer.realm.syncSession!.waitForDownload();
    expect(tasks(writer.realm)).toEqual({ a: { title: 'from the writer', n: 1 }, b: { n: 2 }, d: { n: 4 }, e: { n: 5 } });
    expect(tasks(reader.realm)).toEqual(tasks(writer.realm));
    expect(reader.errors).toHaveLength(1);
    console.log(`compensating write: ${error.compensatingWrites.length} writes refused and reverted (${error.message}); the session stayed ${reader.realm.syncSession!.state}`);
  });

  it('a backlog refused over many uploads is handed back emptied in batches that end below the last refused one: no badCursor, the session stays active', { timeout: 60_000 }, async () => {
    // Over 1 MiB of changesets goes out in several UPLOADs, each refused; the emptied versions
    // then go from the last acknowledgement, ~10,000 to a batch: the first batch ends below the
    // last refused upload's end, which the server's upload cursor must not have moved to.
    h = await new Harness().start({ permissions: () => 'read' });
    const { realm, errors } = await h.client('p', {}, h.app({ durability: 'batched' }));
    const s = realm.syncSession!;
    s.pause();
    const pad = 'x'.repeat(900);
    for (let i = 0; i < 13_000; i++) realm.write((tx) => tx.put('Task', `t${i}`, { pad }));
    s.resume();
    await s.waitForUpload(AbortSignal.timeout(50_000));
    expect(errors.filter((e) => e.code !== 'compensatingWrite')).toEqual([]);
    expect(errors.length).toBeGreaterThan(1);
    expect(realm.objects('Task')).toEqual([]);
    expect(s.state).toBe('active');
    console.log(`compensating write backlog: 13,000 refused changesets answered by ${errors.length} compensatingWrite errors; the session stayed ${s.state}`);
  });

  it('a refused write that an accepted one follows on the same document keeps the accepted one, also after a reopen', { timeout: 30_000 }, async () => {
    const readOnly = new Set<string>();
    h = await new Harness().start({ permissions: (userId) => (readOnly.has(userId) ? 'read' : 'readWrite') });
    const writer = await h.client('shared');
    writer.realm.write((tx) => tx.put('Task', 'a', { n: 1, note: 'kept' }));
    await writer.realm.syncSession!.waitForUpload();
    const { user, realm } = await h.client('shared');
    await realm.syncSession!.waitForDownload();
    readOnly.add(user.id);
    realm.write((tx) => tx.put('Task', 'a', { n: 2 }));
    await realm.syncSession!.waitForUpload();
    expect(tasks(realm)).toEqual({ a: { n: 1, note: 'kept' } });
    readOnly.delete(user.id);
    realm.write((tx) => tx.put('Task', 'a', { n: 3 }));
    await realm.syncSession!.waitForUpload();
    await writer.realm.syncSession!.waitForDownload();
    expect(tasks(writer.realm)).toEqual({ a: { n: 3, note: 'kept' } });
    const path = realm.path;
    realm.close();
    const reopened = await Realm.open({ path, sync: { user, partition: 'shared' } });
    expect(tasks(reopened)).toEqual({ a: { n: 3, note: 'kept' } });
    reopened.close();
  });
});
