/**
 * The acceptance suite of an {@link AuthStore} backend, written once and run for each backend
 * (after automerge-repo's `runStorageAdapterTests`): every test gets a fresh storage from
 * `setup`, opens it, closes it and opens it again as a restarted server would.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { PasswordHash } from '../../../src/server/password-hash.js';
import { MIN_TOKEN_SECRET_LENGTH, type AuthStore, type StoredUser } from '../../../src/server/storage/server-storage.js';
import { loadSecret } from '../../../src/server/tokens.js';

/** Which records a fault lands in. */
export type AuthRecordKind = 'user' | 'revocation';

/**
 * What a backend can do to its storage behind the store's back, while no store is open, to
 * show how an opening copes with what crashes and hostile hands leave. A test whose hooks a
 * backend has not got is skipped for it.
 */
export interface AuthStoreFaults {
  /** Leaves a write of a `kind` record begun after the last one and cut short, as a crash in the middle of it does. */
  tearLastRecord(kind: AuthRecordKind): Promise<void>;
  /** Damages a complete stored record of `kind` (not a torn write); resolves to what the open error must name. */
  damageRecord(kind: AuthRecordKind): Promise<string>;
  /** Stores `record` as a user record as is, past the store's types (a hand-edited file, a forged row). */
  forgeUser(record: unknown): Promise<void>;
  /** Stores a revocation whose user id is `userId` as is. */
  forgeRevocation(userId: unknown): Promise<void>;
  /** Stores `secret` as the token secret as is. */
  forgeSecret(secret: string): Promise<void>;
}

/** One test's storage. */
export interface AuthStoreTarget {
  /** Opens a store over this test's storage; every call the same storage (a reopen, once the last one closed). */
  open(): Promise<AuthStore>;
  /** Removes the test's storage (every store opened on it is closed by then). */
  teardown(): Promise<void>;
  readonly faults?: AuthStoreFaults;
}

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

/** A well-formed hash (the store keeps it, never checks a password against it). */
const hash = (key: Buffer = randomBytes(32)): PasswordHash => ({ algorithm: 'scrypt', N: 2 ** 15, r: 8, p: 1, salt: randomBytes(16).toString('base64'), key: key.toString('base64') });
const user = (email: string, userId = `id-${email}`): StoredUser => ({ email, userId, password: hash() });

/** Runs the suite for the backend `setup` makes a fresh storage of. */
export function runAuthStoreAcceptance(name: string, setup: () => Promise<AuthStoreTarget>): void {
  describe(`AuthStore acceptance: ${name}`, () => {
    const targets: AuthStoreTarget[] = [];
    const open: AuthStore[] = [];
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close();
      for (const target of targets.splice(0)) await target.teardown();
    });

    /** Closes `store` (one the cleanup would close otherwise). */
    const shut = async (store: AuthStore): Promise<void> => {
      open.splice(open.indexOf(store), 1);
      await store.close();
    };

    /** A fresh storage, and a way to (re)open it (closing `previous` first) that the cleanup knows of. */
    async function fresh(): Promise<{ target: AuthStoreTarget; reopen: (previous?: AuthStore) => Promise<AuthStore> }> {
      const target = await setup();
      targets.push(target);
      return {
        target,
        reopen: async (previous) => {
          if (previous !== undefined) await shut(previous);
          const store = await target.open();
          open.push(store);
          return store;
        },
      };
    }

    /** The faults of `target`, or the test is skipped. */
    const faultsOf = (target: AuthStoreTarget, skip: (note?: string) => never): AuthStoreFaults => target.faults ?? skip(`${name} has no fault hooks`);

    describe('users', () => {
      it('a fresh storage has none; added users come back, also after a reopen, one per email in the order first added, the newest record winning', async () => {
        const { reopen } = await fresh();
        let store = await reopen();
        expect(await store.users()).toEqual([]);
        const ann = user('ann@example.com');
        const bob = user('bob@example.com');
        const annAgain: StoredUser = { ...ann, password: hash() };
        await store.addUser(ann);
        await store.addUser(bob);
        await store.addUser(annAgain);
        expect(await store.users()).toEqual([annAgain, bob]);
        store = await reopen(store);
        expect(await store.users()).toEqual([annAgain, bob]);
        const carol = user('carol@example.com');
        await store.addUser(carol);
        store = await reopen(store);
        expect(await store.users()).toEqual([annAgain, bob, carol]);
      });

      it('keeps only the fields of a StoredUser', async () => {
        const { reopen } = await fresh();
        let store = await reopen();
        const ann = user('ann@example.com');
        await store.addUser({ ...ann, extra: 'not a stored field' } as StoredUser);
        store = await reopen(store);
        expect(await store.users()).toEqual([ann]);
      });

      it('property: any sequence of adds, revocations and reopens reads back as the model says', async () => {
        let runs = 0;
        let ops = 0;
        let reopens = 0;
        const op = fc.oneof(
          fc.record({ kind: fc.constant('add' as const), email: fc.constantFrom('a@x', 'b@x', 'c@x', 'd@x', 'é@x'), userId: fc.constantFrom('u1', 'u2', 'u3') }),
          fc.record({ kind: fc.constant('revoke' as const), userId: fc.constantFrom('u1', 'u2', 'u3', 'anon-1', '') }),
          fc.constant({ kind: 'reopen' as const }),
        );
        await fc.assert(
          fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (sequence) => {
            runs++;
            const { reopen } = await fresh();
            let store = await reopen();
            const users = new Map<string, StoredUser>();
            const revoked = new Set<string>();
            for (const step of sequence) {
              ops++;
              if (step.kind === 'add') {
                const record = user(step.email, step.userId);
                await store.addUser(record);
                users.set(record.email, record);
              } else if (step.kind === 'revoke') {
                await store.revoke(step.userId);
                revoked.add(step.userId);
              } else {
                reopens++;
                store = await reopen(store);
              }
            }
            expect(await store.users()).toEqual([...users.values()]);
            expect(await store.revokedUsers()).toEqual([...revoked]);
            store = await reopen(store);
            expect(await store.users()).toEqual([...users.values()]);
            expect(await store.revokedUsers()).toEqual([...revoked]);
          }),
          { numRuns: 40, seed },
        );
        console.log(`auth acceptance (${name}): ${runs} runs, seed ${seed}, ${ops} operations, ${reopens} reopens, each read back after a final reopen`);
      });
    });

    describe('revocations', () => {
      it('are durable and idempotent: revoking again, also at once or after a reopen, stores nothing more', async () => {
        const { reopen } = await fresh();
        let store = await reopen();
        expect(await store.revokedUsers()).toEqual([]);
        await store.revoke('u1');
        await Promise.all([store.revoke('u2'), store.revoke('u2')]);
        await store.revoke('u1');
        expect(await store.revokedUsers()).toEqual(['u1', 'u2']);
        store = await reopen(store);
        expect(await store.revokedUsers()).toEqual(['u1', 'u2']);
        await store.revoke('u2');
        await store.revoke('u3');
        store = await reopen(store);
        expect(await store.revokedUsers()).toEqual(['u1', 'u2', 'u3']);
      });
    });

    describe('token secret', () => {
      it('is made once, long enough to sign with, and the same at every call and after a reopen', async () => {
        const { reopen } = await fresh();
        let store = await reopen();
        const secret = await store.tokenSecret();
        expect(secret.length).toBeGreaterThanOrEqual(MIN_TOKEN_SECRET_LENGTH);
        expect(await store.tokenSecret()).toBe(secret);
        store = await reopen(store);
        expect(await store.tokenSecret()).toBe(secret);
        // Another storage makes another.
        const other = await fresh();
        expect(await (await other.reopen()).tokenSecret()).not.toBe(secret);
      });

      it('a configured secret wins and is not stored: the store keeps a secret of its own', async () => {
        const { reopen } = await fresh();
        let store = await reopen();
        const configured = 'c'.repeat(40);
        expect(await loadSecret(store, configured)).toBe(configured);
        store = await reopen(store);
        const own = await loadSecret(store, undefined);
        expect(own).not.toBe(configured);
        expect(await loadSecret(store, configured)).toBe(configured);
        store = await reopen(store);
        expect(await loadSecret(store, undefined)).toBe(own);
      });

      it('a stored secret too short to sign with (empty, as a crash left it) is replaced, durably; one long enough is kept as is', async ({ skip }) => {
        const { target, reopen } = await fresh();
        const faults = faultsOf(target, skip);
        for (const short of ['', 'short', 'x'.repeat(MIN_TOKEN_SECRET_LENGTH - 1)]) {
          await faults.forgeSecret(short);
          let store = await reopen();
          const made = await store.tokenSecret();
          expect(made.length).toBeGreaterThanOrEqual(MIN_TOKEN_SECRET_LENGTH);
          store = await reopen(store);
          expect(await store.tokenSecret()).toBe(made);
          await shut(store);
        }
        const kept = 'k'.repeat(MIN_TOKEN_SECRET_LENGTH);
        await faults.forgeSecret(kept);
        expect(await (await reopen()).tokenSecret()).toBe(kept);
      });
    });

    describe('crashes and damage', () => {
      it('a torn last record (a write a crash cut short, never acknowledged) is dropped on reopen; writes go on after what was whole', async ({ skip }) => {
        const { target, reopen } = await fresh();
        const faults = faultsOf(target, skip);
        let store = await reopen();
        const ann = user('ann@example.com');
        await store.addUser(ann);
        await store.revoke('u1');
        await shut(store);
        await faults.tearLastRecord('user');
        await faults.tearLastRecord('revocation');
        store = await reopen();
        expect(await store.users()).toEqual([ann]);
        expect(await store.revokedUsers()).toEqual(['u1']);
        const bob = user('bob@example.com');
        await store.addUser(bob);
        await store.revoke('u2');
        store = await reopen(store);
        expect(await store.users()).toEqual([ann, bob]);
        expect(await store.revokedUsers()).toEqual(['u1', 'u2']);
      });

      for (const kind of ['user', 'revocation'] as const) {
        it(`a damaged complete ${kind} record is refused with an error naming where it is, at every open`, async ({ skip }) => {
          const { target, reopen } = await fresh();
          const faults = faultsOf(target, skip);
          const store = await reopen();
          await store.addUser(user('ann@example.com'));
          await store.revoke('u1');
          await shut(store);
          const where = await faults.damageRecord(kind);
          for (let attempt = 1; attempt <= 2; attempt++) await expect(target.open()).rejects.toThrow(where);
        });
      }

      it('a closed store refuses every call rather than write through what it let go of', async () => {
        const { reopen } = await fresh();
        const store = await reopen();
        await shut(store);
        await store.close();
        await expect(store.addUser(user('ann@example.com'))).rejects.toThrow();
        await expect(store.revoke('u1')).rejects.toThrow();
        await expect(store.users()).rejects.toThrow();
        await expect(store.revokedUsers()).rejects.toThrow();
        await expect(store.tokenSecret()).rejects.toThrow();
        const again = await reopen();
        expect(await again.users()).toEqual([]);
        expect(await again.revokedUsers()).toEqual([]);
      });
    });

    describe('hostile records', () => {
      it('a user record of the wrong shape or types is left out, and does not displace its email’s good record', async ({ skip }) => {
        const { target, reopen } = await fresh();
        const faults = faultsOf(target, skip);
        const ann = user('ann@example.com');
        const good = hash();
        const hostile: unknown[] = [
          null,
          42,
          'ann@example.com',
          [ann],
          {},
          { ...ann, email: 5 },
          { ...ann, email: ['ann@example.com'] },
          { ...ann, userId: null },
          { ...ann, userId: 7 },
          { email: 'ann@example.com', userId: 'forged' },
          { ...ann, userId: 'forged', password: 'hunter2' },
          { ...ann, userId: 'forged', password: { ...good, algorithm: 'md5' } },
          { ...ann, userId: 'forged', password: { ...good, N: 2 ** 53 } },
          { ...ann, userId: 'forged', password: { ...good, N: 2 ** 40 } },
          { ...ann, userId: 'forged', password: { ...good, N: 3 } },
          { ...ann, userId: 'forged', password: { ...good, N: -(2 ** 15) } },
          { ...ann, userId: 'forged', password: { ...good, r: Number.MAX_VALUE } },
          { ...ann, userId: 'forged', password: { ...good, p: 1.5 } },
          { ...ann, userId: 'forged', password: { ...good, key: '' } },
          { ...ann, userId: 'forged', password: { ...good, salt: 12 } },
        ];
        const store = await reopen();
        await store.addUser(ann);
        await shut(store);
        for (const record of hostile) await faults.forgeUser(record);
        for (const userId of [5, null, {}, ['u9'], true]) await faults.forgeRevocation(userId);
        await faults.forgeRevocation('u1');
        const again = await reopen();
        expect(await again.users()).toEqual([ann]);
        expect(await again.revokedUsers()).toEqual(['u1']);
        console.log(`auth acceptance (${name}): ${hostile.length} hostile user records and 5 hostile revocations left out`);
      });

      it('huge records and a huge secret are read as any other, and the store works on', async ({ skip }) => {
        const { target, reopen } = await fresh();
        const faults = faultsOf(target, skip);
        const hugeEmail = `${'e'.repeat(16 * 1024 * 1024)}@example.com`;
        const huge = user(hugeEmail, 'u-huge');
        await faults.forgeUser(huge);
        await faults.forgeUser({ ...user('pad@example.com'), pad: 'p'.repeat(16 * 1024 * 1024) });
        const hugeId = 'r'.repeat(8 * 1024 * 1024);
        await faults.forgeRevocation(hugeId);
        const hugeSecret = 's'.repeat(4 * 1024 * 1024);
        await faults.forgeSecret(hugeSecret);
        let store = await reopen();
        const users = await store.users();
        expect(users.map((u) => u.userId)).toEqual(['u-huge', 'id-pad@example.com']);
        // A field the store does not keep is not handed on, however big.
        expect(Object.keys(users[1]!).sort()).toEqual(['email', 'password', 'userId']);
        expect(users[0]!.email).toBe(hugeEmail);
        expect(await store.revokedUsers()).toEqual([hugeId]);
        expect(await store.tokenSecret()).toBe(hugeSecret);
        const ann = user('ann@example.com');
        await store.addUser(ann);
        await store.revoke('u1');
        store = await reopen(store);
        expect((await store.users()).map((u) => u.userId)).toEqual(['u-huge', 'id-pad@example.com', ann.userId]);
        expect(await store.revokedUsers()).toEqual([hugeId, 'u1']);
      });

      it('many records: 500 users and 500 revocations come back in order', async () => {
        const { reopen } = await fresh();
        let store = await reopen();
        const count = 500;
        const added: StoredUser[] = [];
        for (let i = 0; i < count; i++) {
          const record = user(`user-${i}@example.com`);
          added.push(record);
          await store.addUser(record);
          await store.revoke(`u-${i}`);
        }
        store = await reopen(store);
        expect(await store.users()).toEqual(added);
        expect(await store.revokedUsers()).toEqual(added.map((_, i) => `u-${i}`));
      });
    });
  });
}
