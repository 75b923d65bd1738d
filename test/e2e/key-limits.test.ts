/**
 * The client holds keys to the protocol's limits at the call (PROTOCOL.md "Limits"), so a user
 * learns of a bad key where they wrote it, not later as a sync error: `Realm.open` refuses a
 * partition past its limit or not storable text with a `TypeError` naming `sync.partition` (no
 * file made), and `tx.put`/`tx.delete` a type or id likewise with an `InvalidKeyError` (nothing
 * of the write recorded). Keys exactly at the limits, random multi-byte text, sync whole.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Credentials, InvalidInputError, InvalidKeyError, MAX_OBJECT_ID_BYTES, MAX_OBJECT_TYPE_BYTES, MAX_PARTITION_BYTES, Realm, type Transaction } from '../../src/index.js';
import { randomKey } from '../support/random-keys.js';
import { seededUniform } from '../support/seeded-random.js';
import { Harness } from './harness.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const random = seededUniform(seed);
let h: Harness;
afterEach(async () => {
  await h.close();
});

function files(): string[] {
  return readdirSync(h.dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(h.dir, join(e.parentPath, e.name)))
    .sort();
}

/** What `fn` threw. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('keys are refused at the call that names them', () => {
  it('Realm.open: a partition one byte past its limit, with a NUL or a lone surrogate, is a TypeError naming sync.partition; no file is made', async () => {
    h = await new Harness().start();
    const user = await h.app().logIn(Credentials.anonymous());
    const before = files();
    const cases: Array<[string, RegExp]> = [
      [randomKey(MAX_PARTITION_BYTES + 1, random), new RegExp(`the partition is ${MAX_PARTITION_BYTES + 1} bytes of UTF-8, over the limit of ${MAX_PARTITION_BYTES}$`)],
      [`${'p'.repeat(MAX_PARTITION_BYTES - 3)}\u{1F600}`, /the partition is 513 bytes of UTF-8, over the limit of 512$/],
      ['team\u0000', /the partition holds a NUL at index 4, which no key may hold$/],
      ['team\ud83d', /the partition holds the lone surrogate U\+D83D at index 4, which no key may hold$/],
      ['\ude00team', /the partition holds the lone surrogate U\+DE00 at index 0, which no key may hold$/],
    ];
    for (const [partition, reason] of cases) {
      const refusal = await Realm.open({ sync: { user, partition } }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(TypeError);
      expect(String(refusal)).toMatch(/^TypeError: Realm\.open: sync\.partition must be a non-empty string of at most 512 bytes of UTF-8, without NUL or lone surrogates, got /);
      expect(String(refusal)).toMatch(reason);
    }
    expect(files()).toEqual(before);
  });

  it('tx.put and tx.delete: a type or id one byte past its limit, with a NUL or a lone surrogate, is an InvalidKeyError; nothing of the write is recorded or synced', async () => {
    h = await new Harness().start();
    const a = await h.client();
    const s = a.realm.syncSession!;
    await s.waitForDownload(AbortSignal.timeout(10_000));
    const bad: Array<[string, 'type' | 'id', (tx: Transaction) => void, RegExp]> = [
      ['an id past', 'id', (tx) => tx.put('T', randomKey(MAX_OBJECT_ID_BYTES + 1, random), { n: 1 }), /the id is 1025 bytes of UTF-8, over the limit of 1024$/],
      ['a type past', 'type', (tx) => tx.put(`${'t'.repeat(MAX_OBJECT_TYPE_BYTES - 1)}é`, 'x', { n: 1 }), /the type is 257 bytes of UTF-8, over the limit of 256$/],
      ['an id with a NUL', 'id', (tx) => tx.put('T', 'a\u0000', { n: 1 }), /the id holds a NUL at index 1/],
      ['a type with a lone high surrogate', 'type', (tx) => tx.delete('T\ud800', 'x'), /the type holds the lone surrogate U\+D800 at index 1/],
      ['an id with a lone low surrogate', 'id', (tx) => tx.delete('T', '\udc00'), /the id holds the lone surrogate U\+DC00 at index 0/],
    ];
    for (const [name, key, call, reason] of bad) {
      const error = thrownBy(() =>
        a.realm.write((tx) => {
          tx.put('T', 'ok', { n: 1 });
          call(tx);
        }),
      );
      expect(error, name).toBeInstanceOf(InvalidKeyError);
      expect(error, name).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidKeyError).key, name).toBe(key);
      expect(String(error), name).toMatch(reason);
      // The write is one transaction: its earlier put went with it.
      expect(a.realm.objectForPrimaryKey('T', 'ok'), name).toBeUndefined();
    }
    a.realm.write((tx) => tx.put('T', 'after', { n: 2 }));
    await s.waitForUpload(AbortSignal.timeout(10_000));
    expect(a.errors).toEqual([]);
  });

  it(`keys exactly at the limits (random multi-byte text) open, write, upload and download whole, with no sync error (seed ${seed})`, async () => {
    h = await new Harness().start();
    const partition = randomKey(MAX_PARTITION_BYTES, random);
    const type = randomKey(MAX_OBJECT_TYPE_BYTES, random);
    const ids = [randomKey(MAX_OBJECT_ID_BYTES, random), randomKey(MAX_OBJECT_ID_BYTES, random)];
    const a = await h.client(partition);
    a.realm.write((tx) => {
      tx.put(type, ids[0]!, { n: 1 });
      tx.put(type, ids[1]!, { n: 2 });
    });
    a.realm.write((tx) => tx.delete(type, ids[1]!));
    await a.realm.syncSession!.waitForUpload(AbortSignal.timeout(10_000));
    const b = await h.client(partition);
    await b.realm.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
    expect(b.realm.objects(type)).toEqual([{ id: ids[0], fields: { n: 1 } }]);
    expect(b.realm.objectForPrimaryKey(type, ids[1]!)).toBeUndefined();
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});
