import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromCallback, type EventObject } from 'xstate';
import { connectionMachine, currentUrl, maxJitterShare, MIN_RETRY_DELAY_MS, pingJitterShare, type ConnectionInput, type NotifyParams, type SocketInput } from '../../machines/index.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RUNS ?? 1_000);

/**
 * A connection on a simulated clock with a socket the test opens and closes by hand; `urls`
 * (one node unless given) and the URL each socket was started with are logged.
 */
function harness(given: Omit<ConnectionInput, 'urls'> & { urls?: ConnectionInput['urls'] }) {
  const input: ConnectionInput = { ...given, urls: given.urls ?? ['ws://node-a/sync'] };
  const clock = new SimulatedClock();
  const log = { sockets: 0, closedSockets: 0, pings: 0, notices: [] as NotifyParams[], urls: [] as string[] };
  const actor = createActor(
    connectionMachine.provide({
      actors: {
        socket: fromCallback<EventObject, SocketInput>(({ input: socket }) => {
          log.sockets++;
          log.urls.push(socket.url);
          return () => {
            log.closedSockets++;
          };
        }),
      },
      actions: {
        notify: (_, params) => {
          log.notices.push(params);
        },
        sendPing: () => {
          log.pings++;
        },
      },
    }),
    { input, clock },
  ).start();
  return { clock, log, actor, value: () => JSON.stringify(actor.getSnapshot().value) };
}

type Episode = { kind: 'fail' } | { kind: 'serverBackoff'; ms: number } | { kind: 'connectAndIdent' } | { kind: 'reconnect' };
const episode: fc.Arbitrary<Episode> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'fail' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 10_000 }).map((ms) => ({ kind: 'serverBackoff' as const, ms })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'connectAndIdent' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reconnect' as const }) },
);
const config = fc.record({
  initialDelayMs: fc.integer({ min: 10, max: 2_000 }),
  multiplier: fc.double({ min: 1.1, max: 4, noNaN: true }),
  capFactor: fc.integer({ min: 1, max: 200 }),
  seed: fc.integer(),
});

describe('shared connection (docs/SEMANTICS.md §2)', () => {
  it('backs off from an immediate first try by a growing, capped, jittered delay; IDENT and reconnect reset it', () => {
    let waits = 0;
    fc.assert(
      fc.property(config, fc.array(episode, { minLength: 1, maxLength: 25 }), (c, episodes) => {
        const reconnect = { initialDelayMs: c.initialDelayMs, multiplier: c.multiplier, maxDelayMs: c.initialDelayMs * c.capFactor };
        const h = harness({ reconnect, seed: c.seed });
        h.actor.send({ type: 'session.attach', sessionId: 's' });
        expect(h.value()).toBe('{"online":"connecting"}'); // first attempt: no wait at all
        let base = reconnect.initialDelayMs;
        for (const e of episodes) {
          if (e.kind === 'connectAndIdent') {
            h.actor.send({ type: 'socket.open' });
            h.actor.send({ type: 'server.ident' });
            base = reconnect.initialDelayMs;
            continue;
          }
          h.actor.send(e.kind === 'serverBackoff' ? { type: 'socket.closed', backoffMs: e.ms } : { type: 'socket.closed' });
          expect(h.value()).toBe('"backingOff"');
          const wait = h.actor.getSnapshot().context.backoffMs;
          // One node: the server's word wins, held to the floor of a configured delay.
          if (e.kind === 'serverBackoff') expect(wait).toBe(Math.max(e.ms, MIN_RETRY_DELAY_MS));
          else {
            expect(wait).toBeLessThanOrEqual(base);
            expect(wait).toBeGreaterThanOrEqual((1 - maxJitterShare) * base);
            expect(Number.isInteger(wait)).toBe(true);
          }
          base = Math.min(reconnect.maxDelayMs, Math.round(base * reconnect.multiplier));
          waits++;
          if (e.kind === 'reconnect') {
            h.actor.send({ type: 'reconnect' });
            expect(h.value()).toBe('{"online":"connecting"}');
            base = reconnect.initialDelayMs;
            continue;
          }
          h.clock.increment(Math.max(0, wait - 1));
          if (wait >= 1) expect(h.value()).toBe('"backingOff"');
          h.clock.increment(1);
          expect(h.value()).toBe('{"online":"connecting"}');
        }
        h.actor.stop();
      }),
      { numRuns, seed },
    );
    console.log(`backoff: ${numRuns} runs, seed ${seed}, ${waits} waits checked`);
  });

  it('draws the same delays from the same seed', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 12 }), (s, failures) => {
        const delays = () => {
          const h = harness({ seed: s });
          h.actor.send({ type: 'session.attach', sessionId: 's' });
          const out: number[] = [];
          for (let i = 0; i < failures; i++) {
            h.actor.send({ type: 'socket.closed' });
            out.push(h.actor.getSnapshot().context.backoffMs);
            h.actor.send({ type: 'reconnect' });
          }
          return out;
        };
        expect(delays()).toEqual(delays());
      }),
      { numRuns: Math.min(numRuns, 200), seed },
    );
  });

  it('pings after a jittered interval, stays up on PONG and drops the socket when PONG is late', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 5_000 }), fc.integer({ min: 10, max: 5_000 }), fc.array(fc.boolean(), { maxLength: 8 }), fc.integer(), (interval, timeout, answers, s) => {
        const h = harness({ keepalive: { pingIntervalMs: interval, pongTimeoutMs: timeout }, seed: s });
        h.actor.send({ type: 'session.attach', sessionId: 's' });
        h.actor.send({ type: 'socket.open' });
        for (const answered of answers) {
          const delay = h.actor.getSnapshot().context.pingDelayMs;
          expect(delay).toBeLessThanOrEqual(interval);
          expect(delay).toBeGreaterThanOrEqual((1 - pingJitterShare) * interval - 1e-9);
          const pings = h.log.pings;
          h.clock.increment(delay);
          expect(h.log.pings).toBe(pings + 1);
          expect(h.value()).toBe('{"online":{"connected":"awaitingPong"}}');
          if (answered) {
            h.actor.send({ type: 'pong' });
            expect(h.value()).toBe('{"online":{"connected":"quiet"}}');
            continue;
          }
          h.clock.increment(timeout);
          expect(h.value()).toBe('"backingOff"');
          expect(h.log.closedSockets).toBe(h.log.sockets); // the socket was let go
          expect(h.log.notices.at(-1)).toEqual({ sessions: ['s'], notice: 'connection.lost' });
          return;
        }
      }),
      { numRuns: Math.min(numRuns, 300), seed },
    );
  });

  it('lingers after the last session leaves, keeps the socket for a returning session, then closes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60_000 }), fc.boolean(), (linger, comeBack) => {
        const h = harness({ lingerMs: linger, seed: 1 });
        h.actor.send({ type: 'session.attach', sessionId: 'a' });
        h.actor.send({ type: 'session.attach', sessionId: 'b' });
        h.actor.send({ type: 'socket.open' });
        h.actor.send({ type: 'session.detach', sessionId: 'a' });
        expect(h.value()).toContain('connected');
        h.actor.send({ type: 'session.detach', sessionId: 'b' });
        expect(h.value()).toBe('{"online":"lingering"}');
        h.clock.increment(linger - 1);
        expect(h.log.closedSockets).toBe(0);
        if (comeBack) {
          h.actor.send({ type: 'session.attach', sessionId: 'c' });
          expect(h.value()).toContain('connected');
          expect(h.log.sockets).toBe(1); // the same socket serves the newcomer
          expect(h.log.notices.at(-1)).toEqual({ sessions: ['c'], notice: 'connection.open' });
          return;
        }
        h.clock.increment(1);
        expect(h.value()).toBe('"idle"');
        expect(h.log.closedSockets).toBe(1);
      }),
      { numRuns: Math.min(numRuns, 300), seed },
    );
  });

  it('tells a session that joins a live connection that it is open, and one that joins an attempt that it is connecting', () => {
    const h = harness({ seed: 3 });
    h.actor.send({ type: 'session.attach', sessionId: 'a' });
    expect(h.log.notices).toEqual([{ sessions: ['a'], notice: 'connection.connecting' }]);
    h.actor.send({ type: 'session.attach', sessionId: 'b' });
    expect(h.log.notices.at(-1)).toEqual({ sessions: ['b'], notice: 'connection.connecting' });
    h.actor.send({ type: 'socket.open' });
    expect(h.log.notices.at(-1)).toEqual({ sessions: ['a', 'b'], notice: 'connection.open' });
    h.actor.send({ type: 'session.attach', sessionId: 'c' });
    expect(h.log.notices.at(-1)).toEqual({ sessions: ['c'], notice: 'connection.open' });
    expect(h.log.sockets).toBe(1);
  });
});

/** What happens to the node in use in one step of a failover walk. */
type NodeEpisode =
  | { kind: 'failToOpen' }
  | { kind: 'workThenLose'; pongs: number }
  | { kind: 'pongTimeout' }
  | { kind: 'failThenReconnect' }
  | { kind: 'failThenLeaveAndReturn' }
  /** The node takes the attempt and never answers: neither `socket.open` nor `socket.closed`. */
  | { kind: 'silent' }
  /** The node drops the socket naming a wait of an hour (for itself). */
  | { kind: 'namesAnHour' };
const nodeEpisode: fc.Arbitrary<NodeEpisode> = fc.oneof(
  fc.constant({ kind: 'silent' as const }),
  fc.constant({ kind: 'namesAnHour' as const }),
  fc.constant({ kind: 'failToOpen' as const }),
  fc.integer({ min: 0, max: 3 }).map((pongs) => ({ kind: 'workThenLose' as const, pongs })),
  fc.constant({ kind: 'pongTimeout' as const }),
  fc.constant({ kind: 'failThenReconnect' as const }),
  fc.constant({ kind: 'failThenLeaveAndReturn' as const }),
);

describe('a server of several nodes (docs/SEMANTICS.md §2.8)', () => {
  it('moves to the next node (wrapping) after every failure, after the backoff, and stays on a node that works', () => {
    let failures = 0;
    let moves = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(nodeEpisode, { minLength: 1, maxLength: 20 }), fc.integer(), (count, episodes, s) => {
        const urls = Array.from({ length: count }, (_, i) => `ws://node-${i}/sync`) as unknown as ConnectionInput['urls'];
        const keepalive = { pingIntervalMs: 1_000, pongTimeoutMs: 500 };
        const connectTimeoutMs = 700;
        const h = harness({ urls, keepalive, connectTimeoutMs, reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 }, seed: s });
        let node = 0;
        /** The latest socket went to the node the model expects, and the chart names it. */
        const onExpectedNode = () => {
          expect(h.log.urls.at(-1)).toBe(urls[node]);
          expect(currentUrl(h.actor.getSnapshot().context)).toBe(urls[node]);
        };
        const failed = () => {
          const previous = node;
          node = (node + 1) % count;
          failures++;
          if (node !== previous) moves++;
          expect(h.value()).toBe('"backingOff"');
          expect(h.actor.getSnapshot().context.node).toBe(node);
        };
        /** The backoff applies to the next node as to the same one: no socket before it is over. */
        const waitBackoff = () => {
          const sockets = h.log.sockets;
          const wait = h.actor.getSnapshot().context.backoffMs;
          expect(wait).toBeGreaterThan(0);
          h.clock.increment(wait - 1);
          expect(h.log.sockets).toBe(sockets);
          h.clock.increment(1);
          expect(h.log.sockets).toBe(sockets + 1);
          onExpectedNode();
        };
        h.actor.send({ type: 'session.attach', sessionId: 'a' });
        onExpectedNode(); // the first attempt: the first node, at once
        for (const e of episodes) {
          if (e.kind === 'workThenLose' || e.kind === 'pongTimeout') {
            h.actor.send({ type: 'socket.open' });
            h.actor.send({ type: 'server.ident' });
          }
          if (e.kind === 'workThenLose') {
            // A node that works is kept: PING and PONG go on the same socket.
            for (let i = 0; i < e.pongs; i++) {
              h.clock.increment(h.actor.getSnapshot().context.pingDelayMs);
              h.actor.send({ type: 'pong' });
            }
            expect(h.log.closedSockets).toBe(h.log.sockets - 1);
            expect(h.actor.getSnapshot().context.node).toBe(node);
          }
          if (e.kind === 'pongTimeout') {
            h.clock.increment(h.actor.getSnapshot().context.pingDelayMs);
            h.clock.increment(keepalive.pongTimeoutMs);
          } else if (e.kind === 'silent') {
            // Connecting is bounded: the attempt fails when its time is up, not before.
            h.clock.increment(connectTimeoutMs - 1);
            expect(h.value()).toBe('{"online":"connecting"}');
            h.clock.increment(1);
          } else if (e.kind === 'namesAnHour') h.actor.send({ type: 'socket.closed', backoffMs: 3_600_000 });
          else h.actor.send({ type: 'socket.closed' });
          failed();
          if (e.kind === 'namesAnHour') {
            // The named wait is followed only back to the node that named it (a list of one).
            const wait = h.actor.getSnapshot().context.backoffMs;
            expect(count === 1 ? wait === 3_600_000 : wait <= 1_000).toBe(true);
            if (count === 1) {
              h.actor.send({ type: 'reconnect' });
              onExpectedNode();
              continue;
            }
          }
          if (e.kind === 'failThenReconnect') {
            // `reconnect` skips the wait, not the move.
            h.actor.send({ type: 'reconnect' });
            onExpectedNode();
          } else if (e.kind === 'failThenLeaveAndReturn') {
            const sockets = h.log.sockets;
            h.actor.send({ type: 'session.detach', sessionId: 'a' });
            expect(h.value()).toBe('"idle"');
            h.actor.send({ type: 'session.attach', sessionId: 'a' });
            expect(h.log.sockets).toBe(sockets + 1);
            onExpectedNode();
          } else waitBackoff();
        }
        h.actor.stop();
      }),
      { numRuns: Math.min(numRuns, 500), seed },
    );
    console.log(`node choice: ${Math.min(numRuns, 500)} runs, seed ${seed}, ${failures} failures, ${moves} moves to another node`);
  });

  it('a lingering socket the server closes goes idle on the same node; the next session tries it first', () => {
    const h = harness({ urls: ['ws://a/sync', 'ws://b/sync'], seed: 4 });
    h.actor.send({ type: 'session.attach', sessionId: 'a' });
    h.actor.send({ type: 'socket.open' });
    h.actor.send({ type: 'session.detach', sessionId: 'a' });
    h.actor.send({ type: 'socket.closed' });
    expect(h.value()).toBe('"idle"');
    h.actor.send({ type: 'session.attach', sessionId: 'a' });
    expect(h.log.urls).toEqual(['ws://a/sync', 'ws://a/sync']);
  });

  it('one node is the same node after a failure: a single URL is tried again as before', () => {
    const h = harness({ urls: ['ws://only/sync'], seed: 2 });
    h.actor.send({ type: 'session.attach', sessionId: 'a' });
    h.actor.send({ type: 'socket.closed' });
    h.clock.increment(h.actor.getSnapshot().context.backoffMs);
    expect(h.log.urls).toEqual(['ws://only/sync', 'ws://only/sync']);
  });
});

describe('a server-named backoff beyond what a timer holds', () => {
  it('waits (cut to 2^31 − 1 ms) instead of reconnecting at once in a loop', async () => {
    let sockets = 0;
    // The real clock: Node's setTimeout is what fires a delay above 2^31 − 1 ms after 1 ms.
    const actor = createActor(
      connectionMachine.provide({
        actors: {
          socket: fromCallback(() => {
            sockets++;
            return () => {};
          }),
        },
        actions: { notify: () => {}, sendPing: () => {} },
      }),
      { input: { urls: ['ws://node-a/sync'], seed: 5 } },
    ).start();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      actor.send({ type: 'session.attach', sessionId: 's' });
      // A hostile or broken server: 2^32 ms is a valid Nat on the wire.
      actor.send({ type: 'socket.closed', backoffMs: 2 ** 32 });
      // Long enough for a 1 ms timer to fire many times on a loaded machine.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const state = JSON.stringify(actor.getSnapshot().value);
      console.log(`connection: after a named backoff of 2^32 ms, ${sockets} socket(s) opened in 500 ms, state ${state}, warnings ${JSON.stringify(warnings)}`);
      expect(sockets).toBe(1);
      expect(state).toBe('"backingOff"');
    } finally {
      process.off('warning', onWarning);
      actor.stop();
    }
  });
});
