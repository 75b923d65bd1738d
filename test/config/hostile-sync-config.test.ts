/**
 * `Realm.open(config)` under hostile configuration, its own keys and its `sync` ones (nested
 * `clientReset` included): a `TypeError` naming the field's path, never another crash, and a
 * refused open creates no file.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Credentials, Realm, type RealmConfiguration, type User } from '../../src/index.js';
import { Harness } from '../e2e/harness.js';
import { applyMutation, expectAcceptable, expectRefusalNaming, hostileSeed, mutation, type OptionShape } from '../support/hostile-options.js';

let h: Harness;
let user: User;
beforeAll(async () => {
  h = new Harness();
  await h.start();
  user = await h.app().logIn(Credentials.anonymous());
});
afterAll(async () => {
  await h?.close();
});

/** Every file under the harness's folder (server and apps). */
function files(): string[] {
  return readdirSync(h.dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(h.dir, join(e.parentPath, e.name)))
    .sort();
}

const shape: OptionShape = {
  objects: {
    '': ['path', 'sync'],
    sync: ['user', 'partition', 'stopPolicy', 'clientReset', 'onError', 'cancelWaitsOnNonFatalError', 'newRealmFileBehavior', 'existingRealmFileBehavior', 'customHttpHeaders'],
    'sync.clientReset': ['mode', 'onBefore', 'onAfter'],
  },
  leaves: [
    'path', 'sync', 'sync.user', 'sync.partition', 'sync.stopPolicy', 'sync.clientReset', 'sync.clientReset.mode',
    'sync.clientReset.onBefore', 'sync.clientReset.onAfter', 'sync.onError', 'sync.cancelWaitsOnNonFatalError', 'sync.customHttpHeaders',
  ],
  valid: {
    'sync.stopPolicy': fc.constantFrom('afterChangesUploaded', 'immediately', 'liveIndefinitely'),
    'sync.clientReset.mode': fc.constantFrom('manual', 'discardUnsyncedChanges', 'recoverUnsyncedChanges', 'recoverOrDiscard'),
    'sync.cancelWaitsOnNonFatalError': fc.boolean(),
    'sync.onError': fc.constant(() => undefined),
    'sync.clientReset.onBefore': fc.constant(() => undefined),
    // A few sets: each is a socket of its own, and a user may have 8 in an app (the cap has its own test).
    'sync.customHttpHeaders': fc.constantFrom({}, { 'x-tenant': 'acme' }, { 'x-a': '1', 'x-b': 'two words' }, { 'x-trace-id': '~!#$%&*+-.^_`|' }),
  },
};

describe('Realm.open refuses bad configuration by name', () => {
  it("the issue's cases: a string for a boolean, a number for a callback, and unknown keys with their nearest names", async () => {
    const before = files();
    await expect(Realm.open({ sync: { user, partition: 'p', cancelWaitsOnNonFatalError: 'yes' as never } })).rejects.toThrow(
      new TypeError('Realm.open: sync.cancelWaitsOnNonFatalError must be a boolean (true or false), got "yes"'),
    );
    await expect(Realm.open({ sync: { user, partition: 'p', clientReset: { mode: 'discardUnsyncedChanges', onBefore: 5 as never } } })).rejects.toThrow(
      new TypeError('Realm.open: sync.clientReset.onBefore must be a function (before) => void, got 5'),
    );
    await expect(Realm.open({ sync: { user, partition: 'p', newRealmFileBehavior: { type: 'downloadFirst' as never } } })).rejects.toThrow(/Realm\.open: sync\.newRealmFileBehavior\.type must be one of/);
    await expect(Realm.open({ sync: { user, partition: 'p', existingRealmFileBehavior: { type: 'downloadBeforeOpen', timeOutMs: -1 } } })).rejects.toThrow(/sync\.existingRealmFileBehavior\.timeOutMs must be a whole number from 0/);
    await expect(Realm.open({ sync: { user, partition: 'p', newRealmFileBehavior: { type: 'downloadBeforeOpen', timeOutBehavior: 'wait' as never } } })).rejects.toThrow(/sync\.newRealmFileBehavior\.timeOutBehavior must be one of/);
    await expect(Realm.open({ sync: { user, partition: 'p', newRealmFileBehavior: { timeOutMs: 5 } as never } })).rejects.toThrow(/sync\.newRealmFileBehavior\.type/);
    await expect(Realm.open({ sync: { user, partition: 'p', newRealmFileBehavior: { type: 'downloadBeforeOpen', timeOutMs: 5, timeOut: 5 } } })).rejects.toThrow(
      new TypeError("Realm.open: sync.newRealmFileBehavior gives both timeOutMs and realm-js's timeOut: give one"),
    );
    await expect(Realm.open({ sync: { user, partition: 'p', existingRealmFileBehavior: { type: 'downloadBeforeOpen', timeOut: Number.POSITIVE_INFINITY } } })).rejects.toThrow(/sync\.existingRealmFileBehavior\.timeOut must be a whole number from 0/);
    await expect(Realm.open({ sync: { user, partition: 'p' } }, { signal: 'stop' as never })).rejects.toThrow(/Realm\.open: options\.signal must be an AbortSignal/);
    await expect(Realm.open({ sync: { user, partition: 'p' } }, { onProgress: 1 as never })).rejects.toThrow(/Realm\.open: options\.onProgress must be a function/);
    const refused = Realm.open(null as never);
    expect(() => refused.progress(5 as never)).toThrow(/progress: callback must be a function/);
    await expect(refused).rejects.toThrow(/Realm\.open: configuration must be an object/);
    await expect(Realm.open({ sync: { user, partition: 'p', stopPolcy: 'immediately' } as never })).rejects.toThrow(
      new TypeError('Realm.open: unknown option sync.stopPolcy; did you mean sync.stopPolicy?'),
    );
    await expect(Realm.open({ sync: { user, partition: 'p', clientReset: { mode: 'manual', onAfterReset: () => undefined } as never } })).rejects.toThrow(
      /unknown option sync\.clientReset\.onAfterReset; did you mean sync\.clientReset\.onAfter\?/,
    );
    await expect(Realm.open({ pth: 'x.realm' } as never)).rejects.toThrow(new TypeError('Realm.open: unknown option pth; did you mean path?'));
    await expect(Realm.open({ sync: { user, partition: 'p', clientReset: {} as never } })).rejects.toThrow(/sync\.clientReset\.mode is required/);
    expect(files()).toEqual(before);
  });
});

describe('sync.customHttpHeaders under hostile input', () => {
  const open = (customHttpHeaders: unknown, partition = 'headers') => Realm.open({ sync: { user, partition, customHttpHeaders: customHttpHeaders as never } });

  it('anything but a plain object of string headers is refused by name, and opens no file', async () => {
    const before = files();
    for (const bad of ['x-a: 1', 5, null, [], [['x-a', '1']], new Map([['x-a', '1']]), () => undefined]) {
      await expect(open(bad)).rejects.toThrow(/^Realm\.open: sync\.customHttpHeaders must be an object of at most 64 HTTP headers/);
    }
    for (const value of [5, null, undefined, true, ['a'], { v: 'a' }]) {
      await expect(open({ 'x-a': value })).rejects.toThrow(/^Realm\.open: sync\.customHttpHeaders\["x-a"\] is refused: the value must be a string/);
    }
    expect(files()).toEqual(before);
  });

  it('names must be HTTP tokens, once each whatever their case, and none the runtime owns', async () => {
    const before = files();
    for (const name of ['', 'x a', 'x:a', 'x\r\ny', 'x\u0000', 'é', '(x)', 'x/a', '"x"']) {
      await expect(open({ [name]: 'v' })).rejects.toThrow(/sync\.customHttpHeaders\[.*\] is refused: the name is not an HTTP token/);
    }
    const owned = ['Host', 'connection', 'UPGRADE', 'Keep-Alive', 'content-length', 'Content-Type', 'transfer-encoding', 'TE', 'trailer', 'expect', 'proxy-connection', 'User-Agent', 'Sec-WebSocket-Key', 'sec-websocket-protocol', 'Sec-WebSocket-Extensions'];
    for (const name of owned) {
      await expect(open({ [name]: 'v' })).rejects.toThrow(new RegExp(`sync\\.customHttpHeaders\\[.*\\] is refused: ${name.toLowerCase()} is the runtime's to send`));
    }
    await expect(open({ 'X-Tenant': 'a', 'x-tenant': 'b' })).rejects.toThrow(/is refused: x-tenant is given twice \(names are case-insensitive\)/);
    expect(files()).toEqual(before);
  });

  it('values hold no CR, LF, NUL, other control or non-ASCII character, and no whitespace at either end', async () => {
    const before = files();
    for (const value of ['a\r\nX-Injected: 1', 'a\nb', 'a\rb', 'a\u0000', '\u0001', 'del\u007f', 'café', '\u{1F600}', ' lead', 'trail ', '\tt']) {
      await expect(open({ 'x-a': value })).rejects.toThrow(/^Realm\.open: sync\.customHttpHeaders\["x-a"\] is refused: the value/);
    }
    expect(files()).toEqual(before);
  });

  it('at most 64 headers and 8 KiB of names and values; the bounds themselves are accepted', async () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v']));
    await expect(open(many(65))).rejects.toThrow(/sync\.customHttpHeaders must be an object of at most 64 HTTP headers .*: 65 headers/);
    await expect(open(many(100_000))).rejects.toThrow(/: 100000 headers/);
    await expect(open({ 'x-a': 'v'.repeat(8 * 1024 - 3 + 1) })).rejects.toThrow(/8193 bytes of names and values, more than 8192/);
    const atCount = await open(many(64), 'at-count');
    atCount.close();
    const atBytes = await open({ 'x-a': 'v'.repeat(8 * 1024 - 3 - 'empty-ok'.length), 'empty-ok': '' }, 'at-bytes');
    expect(atBytes.syncSession!.configuration()!.customHttpHeaders!['empty-ok']).toBe('');
    atBytes.close();
  });

  it('each header is read once, into a frozen canonical copy: a getter changing its answer or a proxy that throws changes nothing', async () => {
    let reads = 0;
    const tricky = {
      get 'X-Trace'() {
        reads += 1;
        return reads === 1 ? 'ok' : 'bad\r\nX-Injected: 1';
      },
    };
    const realm = await open(tricky, 'getter');
    expect(reads).toBe(1);
    const kept = realm.syncSession!.configuration()!.customHttpHeaders!;
    expect(kept).toEqual({ 'x-trace': 'ok' });
    expect(Object.isFrozen(kept)).toBe(true);
    realm.close();
    const throwing = new Proxy({}, { ownKeys: () => { throw new Error('no keys for you'); } });
    await expect(open(throwing)).rejects.toThrow(new TypeError('Realm.open: sync.customHttpHeaders could not be read: no keys for you'));
    const throwingGetter = { get 'x-a'(): string { throw new Error('boom'); } };
    await expect(open(throwingGetter)).rejects.toThrow(/sync\.customHttpHeaders could not be read: boom/);
    // Proxies that answer one way when counted or typed and another when read: refused, nothing of them sent.
    let counted = 0;
    let valueReads = 0;
    // Harmless at the first reads of its value, a header injection after.
    const value = (): string => (valueReads++ < 2 ? 'ok' : 'ok\r\nHost: evil');
    const manyThenOne = new Proxy({} as Record<string, string>, {
      ownKeys: () => (counted++ === 0 ? Array.from({ length: 65 }, (_, i) => `x-${i}`) : ['x-a']),
      getOwnPropertyDescriptor: () => ({ value: value(), enumerable: true, configurable: true }),
      get: () => value(),
    });
    await expect(open(manyThenOne)).rejects.toThrow(TypeError);
    await expect(open(manyThenOne)).rejects.toThrow(/^Realm\.open: sync\.customHttpHeaders/);
    let protos = 0;
    const arrayThenPlain = new Proxy({ 'sec-websocket-key': 'AAAA' } as Record<string, string>, {
      getPrototypeOf: () => (protos++ === 0 ? Array.prototype : Object.prototype),
    });
    await expect(open(arrayThenPlain)).rejects.toThrow(TypeError);
    await expect(open(arrayThenPlain)).rejects.toThrow(/^Realm\.open: sync\.customHttpHeaders/);
  });
});

describe('Realm.open under random hostile configuration', () => {
  it('opens a valid config or throws a TypeError naming the exact field; a refused one creates no file', async () => {
    let accepted = 0;
    let refused = 0;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        // A random path string would put a file wherever it points: only wrong types and ''.
        mutation(shape, (path, value) => path !== 'path' || typeof value !== 'string' || value === ''),
        async (m) => {
          run += 1;
          const config = applyMutation({ sync: { user, partition: `p${run}`, clientReset: { mode: 'manual' } } }, m);
          const before = files();
          let realm: Realm | undefined;
          try {
            realm = await Realm.open(config as unknown as RealmConfiguration);
          } catch (error) {
            expectRefusalNaming(error, m, 'Realm.open');
            refused += 1;
          }
          if (realm === undefined) expect(files()).toEqual(before);
          else {
            accepted += 1;
            expectAcceptable(m);
            realm.close();
          }
        },
      ),
      { numRuns: 150, seed: hostileSeed, endOnFailure: true },
    );
    console.log(`hostile Realm.open config: ${run} cases (${refused} refused, ${accepted} accepted), seed ${hostileSeed} (FC_SEED to replay)`);
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
  });
});
