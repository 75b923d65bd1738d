/**
 * The runtime's timing logic (keepalive, linger, access-token expiry and refresh, reconnect
 * backoff, `reconnect()`) on the simulated clock: the real `App` and server logic, on the
 * simulated network and disks of `sync-session/testing`, so that a minute of timers runs in
 * milliseconds and every instant is exact. They replace tests that slept in real time; what
 * needs real sockets (a WebSocket's ping frames, a stalled TCP proxy) stays in test/e2e.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, InspectionEvent } from 'xstate';
import { sessionStateOf } from '../../machines/state.js';
import { App, Credentials, Realm, silentLogger, type AppConfig, type Transport, type User } from '../../src/index.js';
import { SeededRandom, SIM_BASE_URL, SimClock, SimDisk, SimNetwork, SimScheduler, SimServer } from '../../src/testing/index.js';

/** The simulated server's access tokens live this long (its default in a simulation). */
const TOKEN_TTL_MS = 60_000;

const apps: App[] = [];
afterEach(() => {
  for (const app of apps.splice(0)) app.close();
});

/** A world: one server, and apps on their own disks whose every connect is timed. */
async function world(seed = 1) {
  const random = new SeededRandom(seed);
  const clock = new SimClock();
  const network = new SimNetwork(clock.view('network'), random.fork(), { minMs: 1, maxMs: 5 });
  const users = [0, 1].map((i) => ({ email: `u${i}@sim.example`, password: `pw-${i}` }));
  const server = new SimServer(clock, network, random.fork(), users, { accessTokenTtlMs: TOKEN_TTL_MS });
  const disks: SimDisk[] = [];
  const scheduler = new SimScheduler(clock, () => network.activities + clock.timersSet + disks.reduce((n, d) => n + d.stats.writes + d.stats.syncs, 0), () => network.busy);
  await scheduler.drive(scheduler.track(server.start()), 10_000);
  /** Connect instants (simulated ms) per app, in order. */
  const connects = new Map<App, number[]>();

  const app = (name: string, options: Partial<AppConfig> = {}): App => {
    const disk = new SimDisk(name, random.fork());
    disks.push(disk);
    const times: number[] = [];
    const inner = network.transportFor(name);
    const transport: Transport = { connect: (url, handlers) => (times.push(clock.now()), inner.connect(url, handlers)) };
    const created = new App({
      baseUrl: SIM_BASE_URL,
      storageDir: `/home/${name}`,
      clock: clock.view(name),
      random: random.fork().source,
      transport,
      authTransport: network.authTransportFor(name),
      fileSystem: disk.mount(),
      logger: silentLogger,
      ...options,
    });
    apps.push(created);
    connects.set(created, times);
    return created;
  };

  /** Logs user `i` in on `on` (unless `as` is a user already) and opens partition `p` for it; errors reported to onError are collected. */
  const open = async (on: App, i: number, as?: User, errors: string[] = []) => {
    const user = as ?? (await drive(on.logIn(Credentials.emailPassword(`u${i}@sim.example`, `pw-${i}`))));
    const realm = await drive(Realm.open({ sync: { user, partition: 'p', stopPolicy: 'immediately', onError: (_s, e) => void errors.push(e.code) } }));
    return { user, realm, session: realm.syncSession!, errors };
  };

  /** Runs the clock until `work` settles (at most a simulated minute); its value, or its error thrown. */
  async function drive<T>(work: Promise<T>, maxMs = 60_000): Promise<T> {
    const outcome = await scheduler.drive(work, maxMs);
    if (outcome === undefined) throw new Error(`still pending after ${maxMs} simulated ms`);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  const elapse = (ms: number): Promise<void> => scheduler.runFor(ms);
  const until = (done: () => boolean, maxMs: number): Promise<boolean> => scheduler.until(done, maxMs);
  return { clock, network, server, app, open, drive, elapse, until, connects: (of: App) => connects.get(of)! };
}

describe('timing logic on the simulated clock', () => {
  it('keepalive: answered pings keep a quiet connection; with the PONGs held it drops within interval + timeout, unreported, and comes back after the stall', async () => {
    const w = await world();
    const app = w.app('a', { keepalive: { pingIntervalMs: 5_000, pongTimeoutMs: 3_000 } });
    const { session, errors } = await w.open(app, 0);
    expect(await w.until(() => session.connectionState === 'connected', 1_000)).toBe(true);
    // Ten intervals with nothing to sync: every PING answered, the socket stays.
    await w.elapse(50_000);
    expect(session.connectionState).toBe('connected');
    expect(w.connects(app)).toHaveLength(1);
    w.network.stall('a'); // the server's frames (its PONGs) are held from now
    const stalledAt = w.clock.now();
    expect(await w.until(() => session.connectionState !== 'connected', 20_000)).toBe(true);
    // The next PING goes within an interval, and its PONG is missed a timeout later.
    expect(w.clock.now() - stalledAt).toBeLessThanOrEqual(5_000 + 3_000 + 10);
    expect(w.clock.now() - stalledAt).toBeGreaterThanOrEqual(3_000);
    expect(errors).toEqual([]); // transient: not reported
    w.network.heal('a');
    expect(await w.until(() => session.connectionState === 'connected', 60_000)).toBe(true);
    expect(session.state).toBe('active');
    expect(w.connects(app).length).toBeGreaterThanOrEqual(2);
  });

  it('linger: a reopen within lingerMs reuses the shared socket; one after it opens another', async () => {
    const w = await world();
    const app = w.app('a', { lingerMs: 1_000 });
    const first = await w.open(app, 0);
    expect(await w.until(() => first.session.connectionState === 'connected', 1_000)).toBe(true);
    first.realm.close();
    await w.elapse(990);
    const again = await w.open(app, 0, first.user);
    expect(await w.until(() => again.session.connectionState === 'connected', 1_000)).toBe(true);
    expect(w.connects(app)).toHaveLength(1);
    again.realm.close();
    await w.elapse(1_001);
    const third = await w.open(app, 0, first.user);
    expect(await w.until(() => third.session.connectionState === 'connected', 1_000)).toBe(true);
    expect(w.connects(app)).toHaveLength(2);
  });

  it('an expired access token: waitingForAccessToken, a refresh, active again, and the data flows; nothing reported', async () => {
    const w = await world();
    const states: string[] = [];
    const inspect = (event: InspectionEvent): void => {
      if (event.type !== '@xstate.snapshot' || (event.snapshot as AnyMachineSnapshot).machine?.id !== 'session') return;
      const state = sessionStateOf(event.snapshot as AnyMachineSnapshot);
      if (states.at(-1) !== state) states.push(state);
    };
    const a = await w.open(w.app('a', { inspect }), 0);
    const b = await w.open(w.app('b'), 1);
    await w.elapse(TOKEN_TTL_MS - 1_000);
    expect(states).not.toContain('waitingForAccessToken'); // not before it expires
    await w.elapse(2_000);
    a.realm.write((tx) => tx.put('Task', 'after-expiry', { n: 1 }));
    await w.drive(a.session.waitForUpload());
    expect(states).toContain('waitingForAccessToken');
    expect(states.at(-1)).toBe('active');
    await w.drive(b.session.waitForDownload());
    expect(b.realm.objectForPrimaryKey('Task', 'after-expiry')).toEqual({ n: 1 });
    expect(a.errors).toEqual([]);
  });

  it('reconnect backoff: each wait after a refused connect is its base less up to a quarter of jitter, the base doubling up to maxDelayMs', async () => {
    const w = await world();
    const reconnect = { initialDelayMs: 1_000, maxDelayMs: 8_000, multiplier: 2 };
    const app = w.app('a', { reconnect });
    const { session } = await w.open(app, 0);
    expect(await w.until(() => session.connectionState === 'connected', 1_000)).toBe(true);
    w.server.crash(); // nothing listens: every connect is refused
    const crashedAt = w.clock.now();
    await w.elapse(60_000);
    const times = w.connects(app);
    // The first attempt waits the initial delay (less jitter) from the drop, which the client
    // hears one network delay (≤ 5 ms) after the crash; each refusal takes one more.
    expect(times[1]! - crashedAt).toBeGreaterThanOrEqual(Math.ceil(0.75 * reconnect.initialDelayMs));
    expect(times[1]! - crashedAt).toBeLessThanOrEqual(reconnect.initialDelayMs + 5);
    const gaps = times.slice(2).map((t, i) => t - times[i + 1]!);
    expect(gaps.length).toBeGreaterThanOrEqual(6);
    let base = reconnect.initialDelayMs;
    for (const gap of gaps) {
      base = Math.min(reconnect.maxDelayMs, base * reconnect.multiplier);
      expect(gap).toBeGreaterThanOrEqual(Math.ceil(0.75 * base));
      expect(gap).toBeLessThanOrEqual(base + 5);
    }
    // Capped at 8 s: the last waits are no longer than it, and not all the same (jitter).
    expect(gaps.slice(-4).every((gap) => gap >= 6_000 && gap <= 8_005)).toBe(true);
    expect(new Set(gaps.slice(-4)).size).toBeGreaterThan(1);
    console.log(`backoff gaps (ms): ${gaps.join(', ')}`);
  });

  it('reconnect() skips the backoff: with a minute to wait, it connects at once', async () => {
    const w = await world();
    const app = w.app('a', { reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1 } });
    const { session } = await w.open(app, 0);
    expect(await w.until(() => session.connectionState === 'connected', 1_000)).toBe(true);
    w.server.crash();
    expect(await w.until(() => session.connectionState === 'disconnected', 1_000)).toBe(true);
    await w.drive(w.server.start());
    await w.elapse(30_000);
    expect(session.connectionState).toBe('disconnected'); // still waiting out the minute
    const before = w.clock.now();
    session.reconnect();
    expect(await w.until(() => session.connectionState === 'connected', 1_000)).toBe(true);
    expect(w.clock.now() - before).toBeLessThan(100);
  });
});
