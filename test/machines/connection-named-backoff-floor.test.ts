/**
 * Review (docs/SEMANTICS.md §2.3, §2.8): a server error may name its own `backoffMs`, and it
 * wins. Named 0 by every node (a buggy or hostile server), it is no wait at all: the connection
 * opens socket after socket with no time passing, a hot loop over the nodes. The upload retry
 * has a floor for exactly this (`MIN_UPLOAD_RETRY_MS`); the connection has none.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromCallback, type EventObject } from 'xstate';
import { connectionMachine, MIN_RETRY_DELAY_MS, type SocketInput } from '../../machines/index.js';

describe('a named backoff of 0 on every failure', () => {
  it('still waits before the next socket: no socket opens with no time passing', () => {
    const clock = new SimulatedClock();
    let sockets = 0;
    const actor = createActor(
      connectionMachine.provide({
        actors: { socket: fromCallback<EventObject, SocketInput>(() => void sockets++) },
        actions: { notify: () => {}, sendPing: () => {} },
      }),
      { input: { urls: ['ws://a/sync', 'ws://b/sync'], reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 }, seed: 5 }, clock },
    ).start();
    actor.send({ type: 'session.attach', sessionId: 'a' });
    // Each socket the node drops at once, naming 0 ms; the clock never moves.
    // `increment(0)` runs what is due now (a 0 ms timer is a macrotask away on the real clock).
    for (let i = 0; i < 100; i++) {
      actor.send({ type: 'socket.closed', backoffMs: 0 });
      clock.increment(0);
    }
    const opened = sockets;
    actor.stop();
    // The first attempt and at most one more before any time passes.
    expect(opened).toBeLessThanOrEqual(2);
  });

  it('with one node (where the named wait is followed) waits at least MIN_RETRY_DELAY_MS', () => {
    const clock = new SimulatedClock();
    let sockets = 0;
    const actor = createActor(
      connectionMachine.provide({
        actors: { socket: fromCallback<EventObject, SocketInput>(() => void sockets++) },
        actions: { notify: () => {}, sendPing: () => {} },
      }),
      { input: { urls: ['ws://only/sync'], reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 }, seed: 5 }, clock },
    ).start();
    actor.send({ type: 'session.attach', sessionId: 'a' });
    actor.send({ type: 'socket.closed', backoffMs: 0 });
    const wait = actor.getSnapshot().context.backoffMs;
    clock.increment(MIN_RETRY_DELAY_MS - 1);
    const beforeTheFloor = sockets;
    clock.increment(1);
    const atTheFloor = sockets;
    actor.stop();
    expect({ wait, beforeTheFloor, atTheFloor }).toEqual({ wait: MIN_RETRY_DELAY_MS, beforeTheFloor: 1, atTheFloor: 2 });
  });
});
