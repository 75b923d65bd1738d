/**
 * A compensating write is the server's word, and a forged or hostile one (injected by a proxy in
 * front of a real server, as a compromised or buggy node would send it) must cost no more than
 * what it names: acknowledged writes are never reverted whatever range it gives, the range is
 * walked over what is pending only, a list past the bound is a protocol error, and the field on
 * another code, or the code without the field, reverts nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../support/fault-proxy.js';
import { eventually, Harness } from './harness.js';

let h: Harness;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await h.close();
});

const compensation = (session: number, extra: object) => ({
  type: 'error',
  session,
  code: 'compensatingWrite',
  category: 'session',
  isFatal: false,
  tryAgain: false,
  message: 'forged',
  backoffMs: 0,
  ...extra,
});

describe('a hostile compensating write', () => {
  it('reverts no acknowledged write whatever range it names, walks only what is pending, and the session goes on', { timeout: 30_000 }, async () => {
    h = await new Harness().start();
    proxy = await new FaultProxy(h.server.url).start();
    const a = await h.client('p', {}, h.app({ baseUrl: proxy.url }));
    const s = a.realm.syncSession!;
    a.realm.write((tx) => tx.put('Task', 'kept', { n: 1 }));
    await s.waitForUpload(AbortSignal.timeout(5_000));
    // Every version there is, and then some: nothing is pending, so nothing changes.
    proxy.inject((session) => compensation(session, { compensatingWrite: { from: 0, through: Number.MAX_SAFE_INTEGER, writes: [{ type: 'Task', id: 'kept', reason: 'forged' }], omittedWrites: Number.MAX_SAFE_INTEGER } }));
    await eventually(() => a.errors.length === 1, 'the forged error is reported');
    expect(a.errors[0]).toMatchObject({ code: 'compensatingWrite', isFatal: false, compensatingWrites: [{ type: 'Task', id: 'kept', reason: 'forged' }] });
    // A range that ends before it starts, and the field on another code: nothing either.
    proxy.inject((session) => compensation(session, { compensatingWrite: { from: 9, through: 2, writes: [], omittedWrites: 0 } }));
    proxy.inject((session) => ({ ...compensation(session, { compensatingWrite: { from: 0, through: 99, writes: [], omittedWrites: 0 } }), code: 'badChangeset' }));
    // The code without the field: reported, nothing reverted.
    proxy.inject((session) => compensation(session, {}));
    await eventually(() => a.errors.length === 4, 'every forged error is reported');
    expect(a.realm.objects('Task')).toEqual([{ id: 'kept', fields: { n: 1 } }]);
    // The list rides only on a compensatingWrite: on another code it is no word of the server's.
    expect(a.errors.map((e) => [e.code, e.compensatingWrites.length])).toEqual([
      ['compensatingWrite', 1],
      ['compensatingWrite', 0],
      ['badChangeset', 0],
      ['compensatingWrite', 0],
    ]);
    expect(s.state).toBe('active');
    a.realm.write((tx) => tx.put('Task', 'after', { n: 2 }));
    await s.waitForUpload(AbortSignal.timeout(5_000));
    const b = await h.client('p');
    await b.realm.syncSession!.waitForDownload(AbortSignal.timeout(5_000));
    expect(b.realm.objects('Task')).toEqual([
      { id: 'after', fields: { n: 2 } },
      { id: 'kept', fields: { n: 1 } },
    ]);
  });

  it('a list of writes past the bound is a protocol error: the session stops and its file is untouched', { timeout: 30_000 }, async () => {
    h = await new Harness().start();
    proxy = await new FaultProxy(h.server.url).start();
    const a = await h.client('p', {}, h.app({ baseUrl: proxy.url }));
    const s = a.realm.syncSession!;
    await eventually(() => s.connectionState === 'connected', 'connected');
    s.pause();
    a.realm.write((tx) => tx.put('Task', 'pending', { n: 1 }));
    s.resume();
    const writes = Array.from({ length: 1_001 }, (_, i) => ({ type: 'Task', id: `t${i}`, reason: 'x' }));
    proxy.inject((session) => compensation(session, { compensatingWrite: { from: 1, through: 1, writes, omittedWrites: 0 } }));
    await eventually(() => a.errors.length > 0, 'onError');
    expect(a.errors[0]).toMatchObject({ code: 'badServerMessage', category: 'protocol', isFatal: true });
    expect(a.realm.objects('Task')).toEqual([{ id: 'pending', fields: { n: 1 } }]);
  });
});
