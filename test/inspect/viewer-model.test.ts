import { createInspector } from '@statelyai/inspect';
import { createActor, fromPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { sessionMachine } from '../../machines/session.machine.js';
import { decodeFrame, type InspectionFrame } from '../../src/inspect/inspection-frame.js';
import { toWireFrame } from '../../src/inspect/wire-frame.js';
import { connectionStateOf, sessionStateOf as runtimeSessionStateOf } from '../../machines/state.js';
import { activePaths, applyFrame, connectionOf as liveConnection, createModel, liveSessions, sessionStateOf, sessionView, timeOf } from '../../src/inspect/viewer/viewer-model.js';

/** A real session chart, inspected through the same conversion an app uses, into frames as the relay passes them. */
function inspectedSession() {
  const frames: InspectionFrame[] = [];
  const inspector = createInspector({ send: (event) => frames.push(decodeFrame(JSON.stringify(toWireFrame(event)))!) });
  const machine = sessionMachine.provide({ actors: { refreshAccessToken: fromPromise(() => new Promise<string>(() => undefined)) } });
  const actor = createActor(machine, {
    input: { label: { realmPath: '/tmp/a.realm', userId: 'u1', partition: 'p' } },
    inspect: inspector.inspect,
  }).start();
  // The inspector converts on a 0 ms timer, as it does in an app.
  const drain = () => new Promise((resolve) => setTimeout(resolve, 5));
  return { actor, frames, drain };
}

describe('the viewer model', () => {
  it('follows a real session chart through its inspection frames', async () => {
    const { actor, frames, drain } = inspectedSession();
    actor.send({ type: 'store.opened', tokenExpired: false });
    actor.send({ type: 'connection.open' });
    actor.send({ type: 'server.ident' });
    actor.send({ type: 'progress', direction: 'upload', transferred: 10, transferable: 40 });
    actor.send({ type: 'wait', id: 'w1', direction: 'upload' });
    await drain();
    const model = createModel();
    for (const frame of frames) expect(frame, 'every frame decodes at the relay').toBeDefined();
    for (const frame of frames) applyFrame(model, frame);
    const [session, ...others] = liveSessions(model);
    expect(others).toEqual([]);
    expect(session).toMatchObject({
      label: { realmPath: '/tmp/a.realm', userId: 'u1', partition: 'p' },
      state: 'active',
      connection: 'connected',
      upload: { transferred: 10, transferable: 40 },
      waits: [expect.objectContaining({ id: 'w1', direction: 'upload', transferred: 10, target: 40 })],
    });
    expect(session!.history.map((s) => s.event)).toEqual(expect.arrayContaining(['store.opened', 'connection.open', 'server.ident', 'wait', 'progress']));
    expect(session!.waits[0]!.since).toBeLessThanOrEqual(Date.now());

    actor.send({ type: 'pause' });
    await drain();
    for (const frame of frames.splice(0)) applyFrame(model, frame);
    const paused = liveSessions(model)[0]!;
    expect([paused.state, paused.connection]).toEqual(['paused', 'disconnected']);
    expect(activePaths('session', paused.snapshot.value)).toEqual(expect.arrayContaining(['session.lifecycle.paused', 'session.connection.disconnected']));

    actor.stop();
    await drain();
    for (const frame of frames.splice(0)) applyFrame(model, frame);
    expect(liveSessions(model)).toEqual([]);
  });

  it('names every state value of the chart as machines/state.ts does (the page has its own copy)', () => {
    const lifecycle = ['inactive.idle', 'inactive.loggedOut', 'syncing.active.running', 'syncing.active.resetting', 'syncing.active.awaitingFreshState', 'syncing.active.finishingReset', 'syncing.dying', 'waitingForAccessToken.refreshing', 'waitingForAccessToken.retrying', 'paused'];
    const nested = (path: string): unknown => path.split('.').reduceRight<unknown>((inner, key) => (inner === undefined ? key : { [key]: inner }), undefined);
    let compared = 0;
    for (const leaf of lifecycle) {
      for (const connection of ['disconnected', 'connecting', 'connected']) {
        const value = { lifecycle: nested(leaf), connection };
        const snapshot = sessionMachine.resolveState({ value: value as never, context: {} as never });
        expect(sessionStateOf(value), leaf).toBe(runtimeSessionStateOf(snapshot));
        expect(liveConnection(value)).toBe(connectionStateOf(snapshot));
        compared++;
      }
    }
    // Every leaf of the lifecycle region, as the chart declares them.
    const leaves = (node: { states: Record<string, unknown> }, prefix: string): string[] =>
      Object.entries(node.states).flatMap(([key, child]) => {
        const states = (child as { states: Record<string, unknown> }).states;
        return Object.keys(states).length === 0 ? [`${prefix}${key}`] : leaves(child as { states: Record<string, unknown> }, `${prefix}${key}.`);
      });
    expect(leaves(sessionMachine.root.states['lifecycle']!, '').sort()).toEqual([...lifecycle].sort());
    expect(compared).toBe(30);
  });

  it('names the state as the runtime does', () => {
    expect(sessionStateOf({ lifecycle: { syncing: { active: 'running' } } })).toBe('active');
    expect(sessionStateOf({ lifecycle: { syncing: 'dying' } })).toBe('dying');
    expect(sessionStateOf({ lifecycle: { waitingForAccessToken: 'refreshing' } })).toBe('waitingForAccessToken');
    expect(sessionStateOf({ lifecycle: 'paused' })).toBe('paused');
    expect(sessionStateOf({ lifecycle: { inactive: 'idle' } })).toBe('inactive');
  });

  it('lists the paths of nested and parallel values', () => {
    expect(activePaths('connection', { online: { connected: 'quiet' } })).toEqual(['connection', 'connection.online', 'connection.online.connected', 'connection.online.connected.quiet']);
    expect(activePaths('session', { lifecycle: 'paused', connection: 'disconnected' })).toEqual([
      'session', 'session.lifecycle', 'session.lifecycle.paused', 'session.connection', 'session.connection.disconnected',
    ]);
  });

  it('ignores frames of actors it never met and keeps each timeline bounded', () => {
    const model = createModel(3);
    applyFrame(model, { type: '@xstate.snapshot', sessionId: 'ghost', event: { type: 'x' }, snapshot: { status: 'active' } });
    expect(model.actors.size).toBe(0);
    applyFrame(model, { type: '@xstate.actor', sessionId: 'a', name: 'session', snapshot: { status: 'active', value: 'v0' } });
    for (let i = 1; i <= 10; i++) applyFrame(model, { type: '@xstate.snapshot', sessionId: 'a', event: { type: `e${i}` }, snapshot: { status: 'active', value: `v${i}` } });
    expect(model.actors.get('a')!.history.map((s) => s.event)).toEqual(['e8', 'e9', 'e10']);
  });

  it("orders a late joiner's timeline by time: the recent steps first, the announcement (the present) last", () => {
    const model = createModel();
    const label = { realmPath: '/r', userId: 'u', partition: 'p' };
    const at = Date.now();
    applyFrame(model, { type: '@xstate.actor', sessionId: 's', name: 'session', createdAt: String(at - 5_000), snapshot: { status: 'active', value: { lifecycle: 'paused', connection: 'disconnected' }, context: { label } } });
    applyFrame(model, { type: '@xstate.snapshot', sessionId: 's', createdAt: String(at - 2_000), event: { type: 'store.opened' }, snapshot: { status: 'active', value: { lifecycle: { syncing: { active: 'running' } }, connection: 'connecting' }, context: { label } } });
    applyFrame(model, { type: '@xstate.snapshot', sessionId: 's', createdAt: String(at - 1_000), event: { type: 'pause' }, snapshot: { status: 'active', value: { lifecycle: 'paused', connection: 'disconnected' }, context: { label } } });
    const history = model.actors.get('s')!.history;
    expect(history.map((step) => step.event)).toEqual(['store.opened', 'pause', 'announced']);
    // Steps keep their number when earlier ones are trimmed or later ones inserted.
    expect(new Set(history.map((step) => step.seq)).size).toBe(3);
    const looked = sessionView(model, model.actors.get('s')!, history[0]);
    expect([looked!.state, looked!.connection]).toEqual(['active', 'connecting']);
  });

  it('takes no timestamp a Date cannot hold', () => {
    const before = Date.now();
    for (const text of ['9e15', '-1', 'soon', undefined, 'Infinity']) expect(timeOf(text)).toBeGreaterThanOrEqual(before);
    expect(timeOf('1700000000000')).toBe(1_700_000_000_000);
  });
});
