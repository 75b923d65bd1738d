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
    sync: ['user', 'partition', 'stopPolicy', 'clientReset', 'onError', 'cancelWaitsOnNonFatalError', 'newRealmFileBehavior', 'existingRealmFileBehavior'],
    'sync.clientReset': ['mode', 'onBefore', 'onAfter'],
  },
  leaves: [
    'path', 'sync', 'sync.user', 'sync.partition', 'sync.stopPolicy', 'sync.clientReset', 'sync.clientReset.mode',
    'sync.clientReset.onBefore', 'sync.clientReset.onAfter', 'sync.onError', 'sync.cancelWaitsOnNonFatalError',
  ],
  valid: {
    'sync.stopPolicy': fc.constantFrom('afterChangesUploaded', 'immediately', 'liveIndefinitely'),
    'sync.clientReset.mode': fc.constantFrom('manual', 'discardUnsyncedChanges', 'recoverUnsyncedChanges', 'recoverOrDiscard'),
    'sync.cancelWaitsOnNonFatalError': fc.boolean(),
    'sync.onError': fc.constant(() => undefined),
    'sync.clientReset.onBefore': fc.constant(() => undefined),
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
