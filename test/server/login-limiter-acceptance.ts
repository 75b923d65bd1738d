/**
 * The acceptance suite of a failed-login window store (`LoginAttemptStore`), written once and
 * run through `LoginLimiter` for each backend: the memory store (the file backend's) and the
 * PostgreSQL one. A store that sweeps ended and surplus windows every `sweepEvery` attempts (not
 * at each, as memory does) may hold up to `sweepEvery - 1` windows of a kind past the bound
 * between sweeps; with `sweepEvery` 1 every expectation is the memory store's exact one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LoginLimiter, type LoginAttemptLimits } from '../../src/server/login-limiter.js';
import type { OpenLoginAttempts } from '../../src/server/storage/login-attempt-store.js';

/** One test's store backend. */
export interface LoginAttemptTarget {
  /** Opens the store (every call on this test's one storage). */
  readonly open: OpenLoginAttempts;
  /** Attempts between two sweeps (1: every attempt, as memory). */
  readonly sweepEvery: number;
  /** Ends what the target holds. */
  teardown(): Promise<void>;
}

/** Suite sizes a backend can afford. */
export interface LoginAttemptSuiteOptions {
  /** Distinct emails and addresses of the flood test (memory: 20,000). */
  readonly flood: number;
  /** Per-test timeout (ms). */
  readonly timeoutMs?: number;
}

const WINDOW = 60_000;

/** Runs the suite for the backend `setup` makes a fresh storage of. */
export function runLoginLimiterAcceptance(name: string, setup: () => Promise<LoginAttemptTarget>, options: LoginAttemptSuiteOptions): void {
  describe(`LoginLimiter acceptance: ${name}`, () => {
    const targets: LoginAttemptTarget[] = [];
    afterEach(async () => {
      for (const target of targets.splice(0)) await target.teardown();
    });
    const limiterOn = async (limits: LoginAttemptLimits, now: () => number): Promise<{ limiter: LoginLimiter; target: LoginAttemptTarget }> => {
      const target = await setup();
      targets.push(target);
      return { limiter: new LoginLimiter(limits, now, target.open), target };
    };
    const timeout = options.timeoutMs ?? 30_000;

    it('a flood of distinct emails and addresses keeps at most maxTracked windows of each', { timeout }, async () => {
      let now = 0;
      const { limiter, target } = await limiterOn({ perEmail: 2, perAddress: 2, windowMs: WINDOW, maxTracked: 100 }, () => now);
      const FLOOD = options.flood;
      let admitted = 0;
      for (let i = 0; i < FLOOD; i++) {
        if ((await limiter.begin(`${'x'.repeat(1_000)}-${i}@example.com`, `10.0.${i >> 8}.${i & 255}`)).ok) admitted++;
        now += 1;
      }
      const tracked = await limiter.tracked();
      const slack = target.sweepEvery - 1;
      expect(tracked.emails).toBeGreaterThanOrEqual(100);
      expect(tracked.emails).toBeLessThanOrEqual(100 + slack);
      expect(tracked.addresses).toBeGreaterThanOrEqual(100);
      expect(tracked.addresses).toBeLessThanOrEqual(100 + slack);
      expect(admitted).toBe(FLOOD);
      console.log(`login-limits (${name}): ${FLOOD} distinct 1 KB emails and addresses in one window, ${tracked.emails} + ${tracked.addresses} tracked (bound 100 each, + ${slack} between sweeps)`);
      // The newest windows are the ones kept: a recent email still counts its failures.
      const last = `${'x'.repeat(1_000)}-${FLOOD - 1}@example.com`;
      expect((await limiter.begin(last, 'other')).ok).toBe(true);
      expect(await limiter.begin(last, 'other')).toEqual({ ok: false, retryAfterMs: FLOOD - 1 + WINDOW - now });
      // Ended windows are dropped as new ones open (by the next sweep, within sweepEvery attempts).
      now += WINDOW;
      for (let i = 0; i < target.sweepEvery; i++) await limiter.begin(`fresh-${i}@example.com`, `fresh-${i}`);
      expect(await limiter.tracked()).toEqual({ emails: target.sweepEvery, addresses: target.sweepEvery });
    });

    it('a flood of other emails from other addresses does not push out a blocked email: it stays blocked', { timeout }, async () => {
      let now = 0;
      const { limiter, target } = await limiterOn({ perEmail: 3, perAddress: 3, windowMs: WINDOW, maxTracked: 100 }, () => now);
      for (let i = 0; i < 3; i++) expect((await limiter.begin('ann@example.com', '192.0.2.1')).ok).toBe(true);
      expect((await limiter.begin('ann@example.com', '192.0.2.2')).ok).toBe(false);
      // An attacker with many addresses fails at many emails, to make the table forget ann.
      const FLOOD = 1_000;
      for (let i = 0; i < FLOOD; i++) {
        now += 1;
        await limiter.begin(`other-${i}@example.com`, `198.51.${i >> 8}.${i & 255}`);
      }
      const again = await limiter.begin('ann@example.com', '203.0.113.9');
      const tracked = await limiter.tracked();
      console.log(`login-limits (${name}): ann blocked, then ${FLOOD} failures at distinct emails from distinct addresses (maxTracked 100): ann ${again.ok ? 'admitted again' : 'still refused'}; tracked ${JSON.stringify(tracked)}`);
      expect(again.ok).toBe(false);
      expect(tracked.emails).toBeLessThanOrEqual(100 + target.sweepEvery - 1);
    });

    it('an IPv4 client is one address however the socket spells it, and an IPv6 client one per /64', { timeout }, async () => {
      const { limiter } = await limiterOn({ perEmail: 1_000, perAddress: 2, windowMs: WINDOW, maxTracked: 100 }, () => 0);
      expect((await limiter.begin('a@example.com', '192.0.2.7')).ok).toBe(true);
      expect((await limiter.begin('b@example.com', '::ffff:192.0.2.7')).ok).toBe(true);
      expect((await limiter.begin('c@example.com', '::FFFF:192.0.2.7')).ok).toBe(false);
      // One host holds a whole /64: each of its addresses is the same client.
      expect((await limiter.begin('d@example.com', '2001:db8:1:2::1')).ok).toBe(true);
      expect((await limiter.begin('e@example.com', '2001:0db8:0001:0002:ffff:0:0:9')).ok).toBe(true);
      expect((await limiter.begin('f@example.com', '2001:db8:1:2:abcd::%eth0')).ok).toBe(false);
      expect((await limiter.begin('g@example.com', '2001:db8:1:3::1')).ok).toBe(true);
      expect((await limiter.tracked()).addresses).toBe(3);
    });

    it('a success forgets the email’s failures and takes its attempt back from the address; a refusal counts nothing', { timeout }, async () => {
      let now = 1_000;
      const { limiter } = await limiterOn({ perEmail: 2, perAddress: 3, windowMs: WINDOW, maxTracked: 100 }, () => now);
      expect((await limiter.begin('ann@example.com', '192.0.2.1')).ok).toBe(true);
      const right = await limiter.begin('ann@example.com', '192.0.2.1');
      expect(right.ok).toBe(true);
      // At the email's limit: refused for the rest of the window, counting nothing at the address.
      now += 5_000;
      expect(await limiter.begin('ann@example.com', '192.0.2.1')).toEqual({ ok: false, retryAfterMs: WINDOW - 5_000 });
      if (!right.ok) throw new Error('unreachable');
      await limiter.succeeded(right);
      expect(await limiter.tracked()).toEqual({ emails: 0, addresses: 1 });
      // The address holds one failure (the first guess) of 3: two more, then refused.
      expect((await limiter.begin('bob@example.com', '192.0.2.1')).ok).toBe(true);
      expect((await limiter.begin('carl@example.com', '192.0.2.1')).ok).toBe(true);
      expect(await limiter.begin('dora@example.com', '192.0.2.1')).toEqual({ ok: false, retryAfterMs: WINDOW - 5_000 });
      // Ann's failures are forgotten: she has her two again (from another address).
      expect((await limiter.begin('ann@example.com', '192.0.2.9')).ok).toBe(true);
      expect((await limiter.begin('ann@example.com', '192.0.2.9')).ok).toBe(true);
      expect((await limiter.begin('ann@example.com', '192.0.2.9')).ok).toBe(false);
    });

    it('attempts sent at once admit exactly the limit', { timeout }, async () => {
      const { limiter } = await limiterOn({ perEmail: 3, perAddress: 1_000, windowMs: WINDOW, maxTracked: 100 }, () => 0);
      const verdicts = await Promise.all(Array.from({ length: 20 }, (_, i) => limiter.begin('ann@example.com', `192.0.2.${i}`)));
      expect(verdicts.filter((v) => v.ok)).toHaveLength(3);
      expect(verdicts.filter((v) => !v.ok)).toEqual(Array.from({ length: 17 }, () => ({ ok: false, retryAfterMs: WINDOW })));
    });
  });
}
