import { afterEach, describe, expect, it } from 'vitest';
import { Credentials, Realm } from '../../src/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { eventually, Harness } from './harness.js';

let h: Harness;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await h.close();
});

describe('keepalive and linger against a real server', () => {
  it('no PONG in time closes the socket as a transient error; the session reconnects when the network is back', async () => {
    h = await new Harness().start();
    proxy = await new FaultProxy(h.server.url).start();
    const app = h.app({ baseUrl: proxy.url, keepalive: { pingIntervalMs: 80, pongTimeoutMs: 150 } });
    const a = await h.client('p', {}, app);
    const s = a.realm.syncSession!;
    await eventually(() => s.connectionState === 'connected', 'connected');
    await new Promise((resolve) => setTimeout(resolve, 300)); // pings answered: still connected
    expect(s.connectionState).toBe('connected');
    proxy.stall(true); // PINGs and PONGs held: the PONG never comes
    await eventually(() => s.connectionState !== 'connected', 'the socket dropped for a missing PONG', 3_000);
    expect(a.errors).toEqual([]); // transient: not reported
    proxy.stall(false);
    await eventually(() => s.connectionState === 'connected', 'reconnected', 5_000);
    expect(s.state).toBe('active');
  });

  it('the shared socket lingers after the last session leaves: a reopen within the linger reuses it, one after opens another', async () => {
    h = await new Harness().start();
    const app = h.app({ lingerMs: 400 });
    const user = await app.logIn(Credentials.anonymous());
    const open = () => Realm.open({ sync: { user, partition: 'p', stopPolicy: 'immediately' } });
    const first = await open();
    await eventually(() => first.syncSession!.connectionState === 'connected', 'connected');
    first.close();
    const again = await open();
    await eventually(() => again.syncSession!.connectionState === 'connected', 'connected again');
    expect(h.sockets.get(app)).toBe(1);
    again.close();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const third = await open();
    await eventually(() => third.syncSession!.connectionState === 'connected', 'connected a third time');
    expect(h.sockets.get(app)).toBe(2);
  });
});
