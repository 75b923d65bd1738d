/**
 * Review (failover): a socket attempt the transport never resolves (TCP accepted, no upgrade
 * answer; a black-holed SYN) must not hold the connection on that node for ever. The chart's
 * `#connection.online.connecting` has no timer of its own, so only the transport's `closed` can
 * end it; `ws` sets no handshake timeout, so with a second node up the client never reaches it.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromCallback, type EventObject } from 'xstate';
import { connectionMachine, type SocketInput } from '../../machines/index.js';

describe('a socket attempt that never opens nor closes (docs/SEMANTICS.md §2.8)', () => {
  it('connecting is bounded: with only time passing, the connection leaves the silent node for the next', () => {
    const clock = new SimulatedClock();
    const urls: string[] = [];
    const actor = createActor(
      connectionMachine.provide({
        // A socket that says nothing, ever: no open, no closed.
        actors: { socket: fromCallback<EventObject, SocketInput>(({ input }) => void urls.push(input.url)) },
        actions: { notify: () => {}, sendPing: () => {} },
      }),
      {
        input: { urls: ['ws://silent/sync', 'ws://live/sync'], keepalive: { pingIntervalMs: 1_000, pongTimeoutMs: 1_000 }, reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 }, seed: 3 },
        clock,
      },
    ).start();
    actor.send({ type: 'session.attach', sessionId: 'a' });
    // A day of silence, one simulated second at a time (bounded loop).
    for (let i = 0; i < 24 * 3_600 && !urls.includes('ws://live/sync'); i++) clock.increment(1_000);
    const stuckIn = JSON.stringify(actor.getSnapshot().value);
    actor.stop();
    expect({ urls: [...new Set(urls)], stuckIn }).toEqual({ urls: ['ws://silent/sync', 'ws://live/sync'], stuckIn: expect.any(String) });
  });

  it('the bound is connectTimeoutMs; reconnect while connecting keeps the attempt and resets the base', () => {
    const clock = new SimulatedClock();
    const urls: string[] = [];
    const actor = createActor(
      connectionMachine.provide({
        actors: { socket: fromCallback<EventObject, SocketInput>(({ input }) => void urls.push(input.url)) },
        actions: { notify: () => {}, sendPing: () => {} },
      }),
      { input: { urls: ['ws://a/sync', 'ws://b/sync'], connectTimeoutMs: 5_000, reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 }, seed: 3 }, clock },
    ).start();
    actor.send({ type: 'session.attach', sessionId: 'a' });
    actor.send({ type: 'socket.closed' }); // a: base 100 → 200
    clock.increment(actor.getSnapshot().context.backoffMs);
    const grownBase = actor.getSnapshot().context.baseDelayMs;
    actor.send({ type: 'reconnect' }); // on b, connecting
    const afterReconnect = { value: JSON.stringify(actor.getSnapshot().value), base: actor.getSnapshot().context.baseDelayMs, sockets: urls.length };
    clock.increment(4_999);
    const justBefore = JSON.stringify(actor.getSnapshot().value);
    clock.increment(1);
    const after = { value: JSON.stringify(actor.getSnapshot().value), node: actor.getSnapshot().context.node };
    actor.stop();
    expect({ grownBase, afterReconnect, justBefore, after }).toEqual({
      grownBase: 200,
      afterReconnect: { value: '{"online":"connecting"}', base: 100, sockets: 2 },
      justBefore: '{"online":"connecting"}',
      after: { value: '"backingOff"', node: 0 },
    });
  });
});
