import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Credentials, InvalidInputError, Realm, SessionClosedError, SyncSession } from '../../src/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { eventually, Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('runtime hardening (found in review)', () => {
  it('an error action is forgotten once the server accepts the session again: the next start keeps the file', async () => {
    let writable = false;
    h = await new Harness().start({ permissions: () => (writable ? 'readWrite' : 'none') });
    const storageDir = `${h.dir}/kept`;
    const app = h.app({ storageDir });
    const a = await h.client('p', {}, app);
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    await eventually(() => a.errors.length > 0, 'permissionDenied');
    writable = true;
    a.realm.syncSession!.resume();
    await a.realm.syncSession!.waitForUpload(AbortSignal.timeout(5_000));
    a.realm.close();
    app.close();
    h.app({ storageDir });
    expect(existsSync(a.realm.path)).toBe(true);
  });

  it('app.close() rejects pending waits, ends streams, and refuses further use', async () => {
    h = await new Harness().start();
    const a = await h.client();
    const s = a.realm.syncSession!;
    s.pause();
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    const wait = s.waitForUpload();
    const changes = (async () => {
      for await (const _ of s.connectionStateChanges) void _;
      return 'ended';
    })();
    a.app.close();
    await expect(wait).rejects.toBeInstanceOf(SessionClosedError);
    expect(await changes).toBe('ended');
    await expect(Realm.open({ sync: { user: a.user, partition: 'p' } })).rejects.toThrow(/closed/);
    await expect(a.app.logIn(Credentials.anonymous())).rejects.toThrow(/closed/);
  });

  it('an observer that throws neither stops the stream nor crashes the process', async () => {
    h = await new Harness().start();
    const a = await h.client();
    const s = a.realm.syncSession!;
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => crashes.push(error);
    process.on('uncaughtException', onCrash);
    try {
      let calls = 0;
      const sub = s.getProgressStream('upload', 'reportIndefinitely').subscribe(() => {
        calls++;
        throw new Error('bug in the callback');
      });
      a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
      await s.waitForUpload(AbortSignal.timeout(5_000));
      a.realm.write((tx) => tx.put('Task', 'y', { n: 2 }));
      await s.waitForUpload(AbortSignal.timeout(5_000));
      await eventually(() => calls >= 3, 'reports after the first throw');
      sub.unsubscribe();
      expect(crashes).toEqual([]);
    } finally {
      process.off('uncaughtException', onCrash);
    }
  });

  it('a paused session lets go of its file once every handle is closed', async () => {
    h = await new Harness().start({ permissions: () => 'none' });
    const a = await h.client('p', { stopPolicy: 'immediately' });
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    await eventually(() => a.errors.length > 0, 'permissionDenied');
    a.realm.syncSession!.pause();
    a.realm.close();
    expect(() => SyncSession.immediatelyHandleError(a.errors[0]!.actionToken!, a.app.syncManager)).not.toThrow();
    expect(existsSync(a.realm.path)).toBe(false);
  });

  it('a changeset too big for the server stops its own session only, without a reconnect storm', async () => {
    h = await new Harness().start({ maxMessageBytes: 64 * 1024 });
    const app = h.app();
    const user = await app.logIn(Credentials.anonymous());
    const errors: string[] = [];
    const big = await Realm.open({ sync: { user, partition: 'big', onError: (_s, e) => errors.push(e.code) } });
    const other = await Realm.open({ sync: { user, partition: 'other' } });
    // Written before any IDENT named this server's limit (the client assumes a default server's).
    big.write((tx) => tx.put('Blob', 'b', { data: 'x'.repeat(100_000) }));
    await eventually(() => big.syncSession!.state === 'inactive', 'the big session stopped');
    expect(errors).toContain('messageTooBig');
    await eventually(() => other.syncSession!.connectionState === 'connected', 'other connected');
    // Once the limit is known, `write` refuses such a changeset before anything is written.
    expect(() => other.write((tx) => tx.put('Blob', 'b', { data: 'x'.repeat(100_000) }))).toThrow(InvalidInputError);
    other.write((tx) => tx.put('Task', 'fine', { n: 1 }));
    await other.syncSession!.waitForUpload(AbortSignal.timeout(5_000));
    expect(h.sockets.get(app)).toBeLessThanOrEqual(3);
  });

  it('a malformed frame from the server is a reported protocol error: the session goes inactive', async () => {
    h = await new Harness().start();
    const proxy = await new FaultProxy(h.server.url).start();
    try {
      const a = await h.client('p', {}, h.app({ baseUrl: proxy.url }));
      const s = a.realm.syncSession!;
      await eventually(() => s.connectionState === 'connected', 'connected');
      proxy.inject(() => ({ type: 'download', session: 'not a number' }));
      await eventually(() => s.state === 'inactive', 'inactive');
      await eventually(() => a.errors.length > 0, 'onError');
      expect(a.errors[0]).toMatchObject({ code: 'badServerMessage', category: 'protocol', isFatal: true });
    } finally {
      await proxy.close();
    }
  });

  it('an upload wait across a client reset fails instead of resolving for changes the server never got', async () => {
    h = await new Harness().start();
    const a = await h.client('p', { clientReset: { mode: 'recoverUnsyncedChanges' } });
    const s = a.realm.syncSession!;
    // The client must hold something of the partition's first epoch: one that holds nothing of it
    // takes the new epoch without a client reset (PROTOCOL.md, ident).
    a.realm.write((tx) => tx.put('Task', 'before', { n: 0 }));
    await s.waitForUpload(AbortSignal.timeout(5_000));
    s.pause();
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    const wait = s.waitForUpload(AbortSignal.timeout(10_000));
    await h.server.resetPartition('p');
    s.resume();
    await expect(wait).rejects.toMatchObject({ code: 'clientResetReplacedUploads', category: 'clientReset' });
    await s.waitForUpload(AbortSignal.timeout(5_000)); // a new wait covers the replayed change
    const reader = await h.client('p');
    await reader.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
    expect(reader.realm.objectForPrimaryKey('Task', 'x')).toEqual({ n: 1 });
  });
});
