import { describe, expect, it } from 'vitest';
import type { ServerSocket, ServerSocketHandlers } from '../../src/server/server-socket.js';
import { SimClock } from '../../src/testing/sim-clock.js';
import { SimNetwork, type SimEndpoint } from '../../src/testing/sim-network.js';
import { SimScheduler } from '../../src/testing/sim-scheduler.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';

/** A server end that records what reached it and answers each frame with `echo:<frame>`. */
function echoServer(): SimEndpoint & { frames: string[]; closed: number; sockets: ServerSocket[] } {
  const server = {
    frames: [] as string[],
    closed: 0,
    sockets: [] as ServerSocket[],
    accept(socket: ServerSocket) {
      server.sockets.push(socket);
      const handlers: ServerSocketHandlers = {
        frame: (data) => {
          server.frames.push(data.toString());
          socket.send(`echo:${data.toString()}`);
        },
        closed: () => {
          server.closed++;
        },
        error: () => undefined,
      };
      socket.listen(handlers);
    },
    answerAuth: async () => ({ status: 200, statusText: 'OK', headers: {}, body: '{}' }),
  };
  return server;
}

function world(seed = 1) {
  const clock = new SimClock();
  const network = new SimNetwork(clock.view('network'), new SeededRandom(seed), { minMs: 1, maxMs: 30 });
  const scheduler = new SimScheduler(clock, () => network.activities + clock.timersSet, () => network.busy);
  return { clock, network, scheduler };
}

describe('the simulated network', () => {
  it('delivers each direction in order whatever the seeded delays, and a close after the frames before it', async () => {
    const { network, scheduler } = world(7);
    const server = echoServer();
    network.listen(server);
    const got: string[] = [];
    let closedWith = '';
    const socket = network.transportFor('c0').connect('ws://sim/sync', { open: () => undefined, frame: (t) => got.push(t), closed: (r) => (closedWith = r) });
    await scheduler.runFor(100);
    for (let i = 0; i < 50; i++) socket.send(String(i));
    await scheduler.runFor(2_000);
    expect(server.frames).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `echo:${i}`));
    server.sockets[0]!.close(1000, 'bye');
    await scheduler.runFor(100);
    expect(closedWith).toBe('closed 1000 bye');
    expect(server.closed).toBe(1);
  });

  it('a partition holds both directions and hangs new connects; healing delivers what was held, in order', async () => {
    const { network, scheduler } = world(3);
    const server = echoServer();
    network.listen(server);
    const got: string[] = [];
    const socket = network.transportFor('c0').connect('ws://sim/sync', { open: () => undefined, frame: (t) => got.push(t), closed: () => undefined });
    await scheduler.runFor(100);
    network.partition('c0');
    socket.send('a');
    socket.send('b');
    let opened = false;
    network.transportFor('c0').connect('ws://sim/sync', { open: () => (opened = true), frame: () => undefined, closed: () => undefined });
    await scheduler.runFor(5_000);
    expect(server.frames).toEqual([]);
    expect(opened).toBe(false);
    network.heal('c0');
    await scheduler.runFor(1_000);
    expect(server.frames).toEqual(['a', 'b']);
    expect(got).toEqual(['echo:a', 'echo:b']);
    expect(opened).toBe(true);
  });

  it('a connect with nothing listening is refused; a server crash resets its connections; a cut tells both ends', async () => {
    const { network, scheduler } = world(5);
    let refused = '';
    network.transportFor('c0').connect('ws://sim/sync', { open: () => undefined, frame: () => undefined, closed: (r) => (refused = r) });
    await scheduler.runFor(100);
    expect(refused).toMatch(/ECONNREFUSED/);

    const server = echoServer();
    network.listen(server);
    let reset = '';
    network.transportFor('c0').connect('ws://sim/sync', { open: () => undefined, frame: () => undefined, closed: (r) => (reset = r) });
    await scheduler.runFor(100);
    network.serverDown();
    await scheduler.runFor(100);
    expect(reset).toMatch(/ECONNRESET/);

    network.listen(server);
    let cut = '';
    network.transportFor('c1').connect('ws://sim/sync', { open: () => undefined, frame: () => undefined, closed: (r) => (cut = r) });
    await scheduler.runFor(100);
    const closedBefore = server.closed;
    network.cut('c1');
    await scheduler.runFor(100);
    expect(cut).toMatch(/ECONNRESET/);
    expect(server.closed).toBe(closedBefore + 1);
  });

  it('an auth request is answered by the server; partitioned, it times out on the simulated clock', async () => {
    const { network, scheduler } = world(9);
    network.listen(echoServer());
    const auth = network.authTransportFor('c0');
    const answered = await scheduler.drive(auth.request({ url: 'http://sim/auth/login', method: 'POST', headers: {}, body: '{}', timeoutMs: 15_000 }), 1_000);
    expect(answered).toMatchObject({ ok: true, value: { status: 200 } });
    network.partition('c0');
    const lost = await scheduler.drive(auth.request({ url: 'http://sim/auth/login', method: 'POST', headers: {}, body: '{}', timeoutMs: 15_000 }), 20_000);
    expect(lost?.ok).toBe(false);
  });
});
