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

// The timing itself (pings answered, interval + timeout, linger) runs on the simulated clock in
// test/testing/timing-on-simulated-clock.test.ts; this one is what needs a real TCP socket.
describe('keepalive against a real server', () => {
  it('no PONG in time closes the socket as a transient error; the session reconnects when the network is back', async () => {
    h = await new Harness().start();
    proxy = await new FaultProxy(h.server.url).start();
    const app = h.app({ baseUrl: proxy.url, keepalive: { pingIntervalMs: 80, pongTimeoutMs: 150 } });
    const a = await h.client('p', {}, app);
    const s = a.realm.syncSession!;
    await eventually(() => s.connectionState === 'connected', 'connected');
    proxy.stall(true); // PINGs and PONGs held: the PONG never comes
    await eventually(() => s.connectionState !== 'connected', 'the socket dropped for a missing PONG', 3_000);
    expect(a.errors).toEqual([]); // transient: not reported
    proxy.stall(false);
    await eventually(() => s.connectionState === 'connected', 'reconnected', 5_000);
    expect(s.state).toBe('active');
  });
});
