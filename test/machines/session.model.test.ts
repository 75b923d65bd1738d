import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { SimulatedClock, createActor, fromPromise, type Actor } from 'xstate';
import {
  connectionStateOf,
  progressMachine,
  sessionInputs,
  sessionMachine,
  sessionStateOf,
  transitionKeys,
  waiterMachine,
  type SessionEvent,
  type SettleParams,
} from '../../machines/index.js';
import { initialRef, liveNotifiers, pendingWaits, step, type RefCommand, type RefSession } from './session.reference.js';

const RETRY_MS = 1_000;

/** The chart as a running actor, with every effect recorded and every answer under the test's control. */
class Harness {
  readonly clock = new SimulatedClock();
  readonly settled = new Map<string, SettleParams[]>();
  readonly finished: string[] = [];
  readonly reported: string[] = [];
  refresh: { resolve: (v: string) => void; reject: (e: unknown) => void } | undefined;
  reset: { resolve: (v: void) => void; reject: (e: unknown) => void } | undefined;
  resetAfter: { resolve: (v: void) => void; reject: (e: unknown) => void } | undefined;
  readonly actor: Actor<typeof sessionMachine>;

  constructor(input: (typeof sessionInputs)[number], coverage: Set<string>) {
    const machine = sessionMachine.provide({
      actors: {
        refreshAccessToken: fromPromise<string>(
          () => new Promise((resolve, reject) => (this.refresh = { resolve, reject })),
        ),
        clientReset: fromPromise<void>(
          () => new Promise((resolve, reject) => (this.reset = { resolve, reject })),
        ),
        clientResetAfter: fromPromise<void>(
          () => new Promise((resolve, reject) => (this.resetAfter = { resolve, reject })),
        ),
        waiter: waiterMachine.provide({
          actions: {
            settle: (_, params) => this.settled.set(params.id, [...(this.settled.get(params.id) ?? []), params]),
          },
        }),
        progress: progressMachine.provide({ actions: { finish: (_, params) => this.finished.push(params.id) } }),
      },
      actions: { reportError: (_, params) => this.reported.push(params.error.code) },
    });
    const keys = transitionKeys(machine);
    this.actor = createActor(machine, {
      input: { ...input, refreshRetryDelayMs: RETRY_MS },
      clock: this.clock,
      inspect: (e) => {
        if (e.type !== '@xstate.microstep' || e.actorRef !== this.actor) return;
        for (const t of e._transitions) coverage.add(keys.get(t) ?? `unknown ${t.eventType}`);
      },
    });
    this.actor.start();
  }

  send(event: SessionEvent): void {
    this.actor.send(event);
  }
}

/** Lets promise settlements reach the actor. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

class Step implements fc.AsyncCommand<RefSession, Harness> {
  constructor(readonly command: RefCommand) {}
  check = () => true;

  async run(m: RefSession, h: Harness): Promise<void> {
    const id = `x${m.waits.length + m.notifiers.length}`;
    await drive(this.command, m, h, id);
    step(m, this.command, id);
    compare(m, h);
  }

  toString = () => JSON.stringify(this.command);
}

async function drive(c: RefCommand, m: RefSession, h: Harness, id: string): Promise<void> {
  const pickId = <T extends { id: string }>(list: T[], n: number) => (list.length === 0 ? 'nobody' : list[n % list.length]!.id);
  switch (c.type) {
    case 'commit':
      return h.send({ type: 'progress', direction: 'upload', transferred: m.uploaded, transferable: m.committed + c.bytes });
    case 'ack':
      return h.send({
        type: 'progress',
        direction: 'upload',
        transferred: Math.min(m.committed, m.uploaded + c.bytes),
        transferable: m.committed,
      });
    case 'error':
      return h.send({
        type: 'error',
        error: { code: `test.${c.category}`, category: c.category, isFatal: c.isFatal, message: 'generated' },
      });
    case 'wait':
      return h.send({ type: 'wait', id, direction: c.direction });
    case 'wait.abort':
      return h.send({ type: 'wait.abort', id: pickId(pendingWaits(m), c.pick), reason: 'stop' });
    case 'mark.reply':
      return h.send({ type: 'mark.reply', requestId: pickId(pendingWaits(m).filter((w) => w.direction === 'download'), c.pick) });
    case 'notifier.add':
      return h.send({ type: 'notifier.add', id, direction: 'upload', mode: 'reportIndefinitely' });
    case 'notifier.remove':
      return h.send({ type: 'notifier.remove', id: pickId(liveNotifiers(m), c.pick) });
    case 'refresh.succeeds':
      h.refresh?.resolve('fresh-token');
      h.refresh = undefined;
      return flush();
    case 'refresh.refused':
      h.refresh?.reject({ refused: true, message: 'no' });
      h.refresh = undefined;
      return flush();
    case 'refresh.offline':
      h.refresh?.reject({ refused: false, message: 'offline' });
      h.refresh = undefined;
      return flush();
    case 'reset.succeeds':
      h.reset?.resolve();
      h.reset = undefined;
      return flush();
    case 'reset.fails':
      h.reset?.reject(new Error('onBefore threw'));
      h.reset = undefined;
      return flush();
    case 'resetAfter.succeeds':
      h.resetAfter?.resolve();
      h.resetAfter = undefined;
      return flush();
    case 'resetAfter.fails':
      h.resetAfter?.reject(new Error('onAfter threw'));
      h.resetAfter = undefined;
      return flush();
    case 'tick':
      h.clock.increment(c.ms);
      return flush();
    // The runtime's one event per integrated DOWNLOAD: more to come, or nothing left.
    case 'reset.acknowledged':
      return h.send({ type: 'server.download', downloadableBytes: 100 });
    case 'reset.downloaded':
      return h.send({ type: 'server.download', downloadableBytes: 0 });
    default:
      return h.send(c);
  }
}

function compare(m: RefSession, h: Harness): void {
  const snapshot = h.actor.getSnapshot();
  expect(snapshot.status).toBe('active');
  expect(sessionStateOf(snapshot)).toBe(m.state);
  expect(connectionStateOf(snapshot)).toBe(m.connection);
  for (const w of m.waits) {
    const settles = h.settled.get(w.id) ?? [];
    expect(settles.length, `wait ${w.id} settles at most once`).toBeLessThanOrEqual(1);
    expect(settles[0]?.outcome ?? 'pending', `wait ${w.id}`).toBe(w.status);
  }
  expect([...h.finished].sort()).toEqual(m.notifiers.filter((n) => n.ended).map((n) => n.id).sort());
  expect(h.reported).toEqual(m.reported);
  // Finished children are stopped: only pending waits, live notifiers and running effects remain.
  // The upload runs while connected: the reference sends no error that pauses it.
  const effects = (m.refresh === 'inFlight' ? 1 : 0) + (m.resetting ? 1 : 0) + (m.finishingReset ? 1 : 0) + (m.connection === 'connected' ? 1 : 0);
  expect(Object.keys(snapshot.children).length).toBe(pendingWaits(m).length + liveNotifiers(m).length + effects);
}

const bool = fc.boolean();
const c = <T extends RefCommand>(command: T) => fc.constant(command);
/** Weighted so that runs reach every state: the socket's events are frequent, bad news rarer. */
const command: fc.Arbitrary<RefCommand> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('store.opened' as const), tokenExpired: bool }) },
  { weight: 2, arbitrary: c({ type: 'store.closed' }) },
  { weight: 2, arbitrary: c({ type: 'pause' }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('resume' as const), tokenExpired: bool }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('user.loggedIn' as const), tokenExpired: bool }) },
  { weight: 1, arbitrary: c({ type: 'user.loggedOut' }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('error' as const),
      category: fc.constantFrom('auth', 'clientReset', 'permission', 'protocol', 'session') as fc.Arbitrary<
        'auth' | 'clientReset' | 'permission' | 'protocol' | 'session'
      >,
      isFatal: bool,
    }),
  },
  { weight: 4, arbitrary: c({ type: 'connection.connecting' }) },
  { weight: 4, arbitrary: c({ type: 'connection.open' }) },
  { weight: 2, arbitrary: c({ type: 'connection.lost' }) },
  { weight: 5, arbitrary: c({ type: 'server.ident' }) },
  { weight: 1, arbitrary: c({ type: 'reset.acknowledged' }) },
  { weight: 2, arbitrary: c({ type: 'refresh.succeeds' }) },
  { weight: 1, arbitrary: c({ type: 'refresh.refused' }) },
  { weight: 1, arbitrary: c({ type: 'refresh.offline' }) },
  { weight: 2, arbitrary: c({ type: 'reset.succeeds' }) },
  { weight: 1, arbitrary: c({ type: 'reset.fails' }) },
  { weight: 2, arbitrary: c({ type: 'reset.downloaded' }) },
  { weight: 2, arbitrary: c({ type: 'resetAfter.succeeds' }) },
  { weight: 1, arbitrary: c({ type: 'resetAfter.fails' }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('commit' as const), bytes: fc.integer({ min: 1, max: 500 }) }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('ack' as const), bytes: fc.integer({ min: 1, max: 500 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('wait' as const),
      direction: fc.constantFrom('upload', 'download') as fc.Arbitrary<'upload' | 'download'>,
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('wait.abort' as const), pick: fc.nat(7) }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('mark.reply' as const), pick: fc.nat(7) }) },
  { weight: 1, arbitrary: c({ type: 'notifier.add' }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('notifier.remove' as const), pick: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('tick' as const), ms: fc.constantFrom(10, RETRY_MS / 2, RETRY_MS) }) },
);

describe('session chart against the reference model of docs/SEMANTICS.md', () => {
  it('agrees after every event of random sequences, for every configuration', async () => {
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    const numRuns = Number(process.env.FC_RUNS ?? 1_000);
    const coverage = new Set<string>();
    const visited = new Set<string>();
    const property = fc.asyncProperty(
      fc.constantFrom(...sessionInputs),
      fc.commands([command.map((c) => new Step(c))], { maxCommands: 80, size: 'large' }),
      async (input, commands) => {
        const config = {
          stopPolicy: input.stopPolicy ?? 'afterChangesUploaded',
          clientResetMode: input.clientResetMode ?? 'recoverOrDiscard',
          cancelWaitsOnNonFatalError: input.cancelWaitsOnNonFatalError ?? false,
          refreshRetryDelayMs: RETRY_MS,
        };
        const harness = new Harness(config, coverage);
        const sub = harness.actor.subscribe((s) => visited.add(`${sessionStateOf(s)}/${connectionStateOf(s)}`));
        try {
          await fc.asyncModelRun(() => ({ model: initialRef(config), real: harness }), commands);
        } finally {
          sub.unsubscribe();
          harness.actor.stop();
        }
      },
    );
    // XState warns when an event reaches a child that already finished: a wait told something
    // after the chart settled it in the same step. None may.
    const lateEvents: string[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      const text = args.map(String).join(' ');
      if (text.includes('stopped actor')) lateEvents.push(text);
    });
    try {
      await fc.assert(property, { numRuns, seed });
    } finally {
      warn.mockRestore();
    }
    expect(lateEvents.slice(0, 3)).toEqual([]);
    const declared = transitionKeys(sessionMachine).size;
    console.log(
      `session reference model: ${numRuns} runs, seed ${seed}, states (session/connection) visited: ${visited.size}` +
        ` [${[...visited].sort().join(', ')}], chart transitions covered: ${coverage.size}/${declared}`,
    );
    // Every value pair §1–§2 allows: three connection states for active and dying, one for the rest.
    expect(visited.size).toBe(9);
  });
});
