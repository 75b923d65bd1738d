import { afterEach, describe, expect, it } from 'vitest';
import { App, Credentials, Realm, silentLogger, type Transport } from '../../src/index.js';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { SimClock } from '../../src/testing/sim-clock.js';
import { wsTransport } from '../../src/transport/ws-transport.js';
import { eventually } from '../support/eventually.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Moves `clock` forward in steps of `stepMs` (letting real I/O happen between) until `done()`; at most `maxMs` of it. */
async function advanceUntil(clock: SimClock, done: () => boolean, stepMs: number, maxMs: number): Promise<void> {
  const end = clock.now() + maxMs;
  while (!done() && clock.now() < end) {
    const until = clock.now() + stepMs;
    while (clock.fireNext(until)) await new Promise((resolve) => setImmediate(resolve));
    clock.advanceTo(until);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function setUp(): Promise<{ dir: string; server: SyncServer }> {
  const dir = mkdtempSync(join(tmpdir(), 'clock-port-'));
  const server = await startServer({ dataDir: join(dir, 'server') });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => server.close());
  return { dir, server };
}

describe('App({ clock }): the runtime sets every timer on the clock it is given', () => {
  it('with a Clock object, a reconnect waits for that clock: no attempt until it is moved past the backoff', async () => {
    const { dir, server } = await setUp();
    const clock = new SimClock(Date.now());
    const view = clock.view('client');
    let connects = 0;
    const counting: Transport = { connect: (url, handlers) => (connects++, wsTransport.connect(url, handlers)) };
    const app = new App({ baseUrl: server.url, storageDir: join(dir, 'app'), clock: view, transport: counting, logger: silentLogger, reconnect: { initialDelayMs: 1_000, maxDelayMs: 1_000, multiplier: 1 } });
    cleanups.push(() => app.close());
    const user = await app.logIn(Credentials.anonymous());
    const realm = await Realm.open({ sync: { user, partition: 'p' } });
    const session = realm.syncSession!;
    // Nothing happens on its own: the first attempt, too, waits for the clock.
    await advanceUntil(clock, () => session.connectionState === 'connected', 1, 2_000);
    expect(session.connectionState).toBe('connected');
    expect(connects).toBe(1);
    // The server cuts every socket: the chart backs off on the given clock, not on Node's.
    await server.close();
    await eventually(() => session.connectionState !== 'connected', 'the session to see the server go');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(connects).toBe(1);
    expect(clock.pending).toBeGreaterThan(0);
    // Moved past the backoff (and its jitter), the attempt happens.
    await advanceUntil(clock, () => connects === 2, 100, 3_000);
    expect(connects).toBe(2);
    realm.close();
  });

  it('a plain function is still the wall clock alone: timers stay Node’s, and a token it calls expired is refreshed', async () => {
    const { dir, server } = await setUp();
    let offset = 0;
    const app = new App({ baseUrl: server.url, storageDir: join(dir, 'app'), clock: () => Date.now() + offset, logger: silentLogger });
    cleanups.push(() => app.close());
    const user = await app.logIn(Credentials.anonymous());
    expect(user.accessTokenExpired).toBe(false);
    offset = 3_600_000;
    expect(user.accessTokenExpired).toBe(true);
    expect(app.config.clock.setTimeout).toBeTypeOf('function');
  });

  it('a clock that is neither a function nor a Clock is refused by name', () => {
    for (const bad of [42, 'now', { now: () => 0 }, { now: () => 0, setTimeout: () => 0 }, null]) {
      expect(() => new App({ baseUrl: 'http://127.0.0.1:1', storageDir: '/tmp/x', clock: bad as never })).toThrow(/App: clock must be a function returning milliseconds, or a Clock/);
    }
  });
});

describe('startServer({ clock }) and ({ now }) are one clock or the other', () => {
  it('refuses both at once, naming them', async () => {
    const clock = new SimClock().view('server');
    await expect(startServer({ dataDir: join(tmpdir(), 'never-made'), now: Date.now, clock })).rejects.toThrow(/now and clock are two clocks/);
    await expect(startServer({ dataDir: join(tmpdir(), 'never-made'), clock: { now: () => 0 } as never })).rejects.toThrow(/clock must be a Clock/);
  });
});
