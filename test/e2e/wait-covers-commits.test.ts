/**
 * docs/SEMANTICS.md §4 as a property against a real server: a `waitForUpload` covers every commit
 * whose `write` returned before the call, whatever the durability and however the session
 * stands then; once it resolved, the app may close at once and the server still has them all.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Credentials, Realm, silentLogger } from '../../src/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { eventually, Harness } from './harness.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RUNS ?? 60);

/** How the session stands when the wait is called. */
type Standing =
  | 'connected' // bound and idle
  | 'connecting' // a new app's first realm, the same tick as `Realm.open`
  | 'offline' // sockets refused; let through after the call
  | 'paused'; // `pause()`d; resumed after the call

interface Case {
  readonly durability: 'full' | 'batched';
  readonly standing: Standing;
  /** Commits in the same tick right before the call. */
  readonly before: number;
  /** Commits in the same tick right after the call, and after a macrotask. */
  readonly afterSameTick: number;
  readonly afterLater: number;
  /** Close the realm handle before the app (the session goes dying first) or only the app. */
  readonly closeRealmFirst: boolean;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  durability: fc.constantFrom('full' as const, 'batched' as const),
  standing: fc.constantFrom<Standing>('connected', 'connecting', 'offline', 'paused'),
  before: fc.integer({ min: 1, max: 40 }),
  afterSameTick: fc.integer({ min: 0, max: 5 }),
  afterLater: fc.integer({ min: 0, max: 5 }),
  closeRealmFirst: fc.boolean(),
});

let h: Harness;
let proxy: FaultProxy;
beforeAll(async () => {
  h = await new Harness().start();
  proxy = await new FaultProxy(h.server.url).start();
});
afterAll(async () => {
  await proxy?.close();
  await h?.close();
});

describe('waitForUpload covers every commit before the call (property, real server)', () => {
  it('whatever the durability and standing, and with the app closed right after the wait', async () => {
    const covered = new Map<string, number>();
    let run = 0;
    let lostTotal = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        run++;
        const partition = `wait-${seed}-${run}`;
        const viaProxy = c.standing === 'offline';
        const app = h.app({ durability: c.durability, ...(viaProxy ? { baseUrl: proxy.url } : {}) });
        const user = await app.logIn(Credentials.anonymous());
        if (viaProxy) proxy.refuse(true);
        const realm = await Realm.open({ sync: { user, partition } });
        const session = realm.syncSession!;
        if (c.standing === 'connected') {
          await session.waitForDownload(AbortSignal.timeout(20_000));
        } else if (c.standing === 'paused') {
          await session.waitForDownload(AbortSignal.timeout(20_000));
          session.pause();
        }
        // `connecting`: nothing awaited since `Realm.open`, so the socket is not yet bound.
        for (let i = 0; i < c.before; i++) realm.write((tx) => tx.put('Task', `b${i}`, { i, run }));
        const wait = session.waitForUpload(AbortSignal.timeout(30_000));
        for (let i = 0; i < c.afterSameTick; i++) realm.write((tx) => tx.put('Task', `a${i}`, { i }));
        if (c.standing === 'offline') {
          await eventually(() => session.connectionState !== 'connected', 'still offline');
          expect(session.connectionState).not.toBe('connected');
          proxy.refuse(false);
          session.reconnect();
        } else if (c.standing === 'paused') {
          expect(session.state).toBe('paused');
          session.resume();
        }
        await new Promise((resolve) => setImmediate(resolve));
        for (let i = 0; i < c.afterLater; i++) realm.write((tx) => tx.put('Task', `l${i}`, { i }));
        await wait;
        // Right after the wait: nothing is awaited between it and the close.
        if (c.closeRealmFirst) realm.close();
        app.close();

        // What the server has, read by a fresh app with its own file.
        const reader = h.app({ logger: silentLogger });
        const readerUser = await reader.logIn(Credentials.anonymous());
        const copy = await Realm.open({ sync: { user: readerUser, partition } });
        await copy.syncSession!.waitForDownload(AbortSignal.timeout(20_000));
        const onServer = new Set(copy.objects('Task').map((o) => o.id));
        copy.close();
        reader.close();
        const missing = Array.from({ length: c.before }, (_, i) => `b${i}`).filter((id) => !onServer.has(id));
        lostTotal += missing.length;
        const key = `${c.durability}/${c.standing}`;
        covered.set(key, (covered.get(key) ?? 0) + 1);
        expect(missing, `${JSON.stringify(c)}: ${missing.length} of ${c.before} commits before the wait are not on the server`).toEqual([]);
      }),
      { numRuns, seed, endOnFailure: true },
    );
    console.log(
      `wait-covers-commits: ${run} runs, seed ${seed}, commits lost ${lostTotal}; cases ` +
        [...covered.entries()].sort().map(([k, n]) => `${k}: ${n}`).join(', '),
    );
  }, 600_000);
});
