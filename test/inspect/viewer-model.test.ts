import { createInspector } from '@statelyai/inspect';
import { createActor, fromPromise } from 'xstate';
import { describe, expect, it, vi } from 'vitest';
import { sessionMachine } from '../../machines/session.machine.js';
import { decodeFrame, type InspectionFrame } from '../../src/inspect/inspection-frame.js';
import { toWireFrame } from '../../src/inspect/wire-frame.js';
import { connectionStateOf, sessionStateOf as runtimeSessionStateOf } from '../../machines/state.js';
import { activePaths, applyFrame, connectionOf as liveConnection, createModel, liveSessions, sessionStateOf, sessionTitle, sessionView, snapshotAt, timeOf, visibleSteps } from '../../src/inspect/viewer/viewer-model.js';
import { eventDetails, eventTitle, formatBytes } from '../../src/inspect/viewer/event-names.js';
import { focusBox, type Box } from '../../src/inspect/viewer/chart-focus.js';

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

  it("orders a late joiner's timeline by time: the recent steps, and no step for the announcement (the present)", () => {
    const model = createModel();
    const label = { realmPath: '/r', userId: 'u', partition: 'p' };
    const at = Date.now();
    applyFrame(model, { type: '@xstate.actor', sessionId: 's', name: 'session', createdAt: String(at - 5_000), snapshot: { status: 'active', value: { lifecycle: 'paused', connection: 'disconnected' }, context: { label } } });
    applyFrame(model, { type: '@xstate.snapshot', sessionId: 's', createdAt: String(at - 2_000), event: { type: 'store.opened' }, snapshot: { status: 'active', value: { lifecycle: { syncing: { active: 'running' } }, connection: 'connecting' }, context: { label } } });
    applyFrame(model, { type: '@xstate.snapshot', sessionId: 's', createdAt: String(at - 1_000), event: { type: 'pause' }, snapshot: { status: 'active', value: { lifecycle: 'paused', connection: 'disconnected' }, context: { label } } });
    const history = model.actors.get('s')!.history;
    expect(history.map((step) => step.event)).toEqual(['store.opened', 'pause']);
    // Steps keep their number when earlier ones are trimmed or later ones inserted.
    expect(new Set(history.map((step) => step.seq)).size).toBe(2);
    const looked = sessionView(model, model.actors.get('s')!, history[0]);
    expect([looked!.state, looked!.connection]).toEqual(['active', 'connecting']);
  });

  it('adds no timeline step for an announcement, first or replayed: a viewer connecting is not something the actor did', () => {
    const model = createModel();
    const snapshot = { status: 'active', value: { lifecycle: 'paused', connection: 'disconnected' }, context: { label: { realmPath: '/r', userId: 'u', partition: 'p' } } };
    applyFrame(model, { type: '@xstate.actor', sessionId: 's', name: 'session', snapshot });
    applyFrame(model, { type: '@xstate.actor', sessionId: 's', name: 'session', snapshot: { ...snapshot, value: { lifecycle: { inactive: 'idle' }, connection: 'disconnected' } } });
    expect(model.actors.get('s')!.history).toEqual([]);
    // The announcement still sets the state.
    expect(liveSessions(model)[0]!.state).toBe('inactive');
    // A wait pending at the announcement is as old as the announcement, not born at every look.
    // (The page's clock is set, so "later" is certain.)
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    try {
      const waiting = createModel();
      applyFrame(waiting, { type: '@xstate.actor', sessionId: 's', name: 'session', snapshot: { ...snapshot, context: { ...snapshot.context, waiters: { w1: 'upload' } } } });
      vi.setSystemTime(1_005_000);
      expect(liveSessions(waiting)[0]!.waits[0]!.since).toBe(1_000_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('tells the connection as it was at a moment: its latest step then, or what it was announced as, or nothing known', () => {
    const model = createModel();
    const at = Date.now();
    const step = (value: string, dt: number) => applyFrame(model, { type: '@xstate.snapshot', sessionId: 'c', createdAt: String(at + dt), event: { type: 'e' }, snapshot: { status: 'active', value } });
    // A late joiner: announced as it is now, then the relay's recent steps, which came before.
    applyFrame(model, { type: '@xstate.actor', sessionId: 'c', name: 'connection', snapshot: { status: 'active', value: 'backingOff' } });
    const seen = model.actors.get('c')!.seenAt;
    step('idle', -3_000 - (seen - at));
    step('online', -1_000 - (seen - at));
    const actor = model.actors.get('c')!;
    expect(snapshotAt(actor, seen - 5_000)).toBeUndefined();
    expect(snapshotAt(actor, seen - 2_000)?.value).toBe('idle');
    expect(snapshotAt(actor, seen - 500)?.value).toBe('online');
    expect(snapshotAt(actor, seen + 1)?.value).toBe('backingOff');
    // A step after the page met it wins over the announcement from then on.
    step('idle', seen - at + 2_000);
    expect(snapshotAt(model.actors.get('c')!, seen + 1)?.value).toBe('backingOff');
    expect(snapshotAt(model.actors.get('c')!, seen + 3_000)?.value).toBe('idle');
  });

  it('names events so a newcomer reads them: progress as bytes, XState internals as what happened, the rest by type and fields', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(12_345)).toBe('12.3 kB');
    expect(formatBytes(1_000_000)).toBe('1 MB');
    expect(formatBytes(1_004_000)).not.toBe(formatBytes(1_006_000));
    expect(eventTitle({ type: 'progress', direction: 'upload', transferred: 12_300, transferable: 1_000_000 })).toBe('upload 12.3 kB / 1 MB');
    expect(eventTitle({ type: 'xstate.done.actor.wait:w1' })).toBe('wait:w1 finished');
    expect(eventTitle({ type: 'xstate.error.actor.refreshAccessToken', error: {} })).toBe('refreshAccessToken failed');
    expect(eventTitle({ type: 'xstate.after.pongTimeout.connection.online.connected.awaitingPong' })).toBe('timer pongTimeout fired in connection.online.connected.awaitingPong');
    expect(eventTitle({ type: 'xstate.after.250.session.lifecycle.waitingForAccessToken.retrying' })).toBe('timer 250 ms fired in session.lifecycle.waitingForAccessToken.retrying');
    expect(eventTitle({ type: 'xstate.init' })).toBe('started');
    expect(eventTitle({ type: 'wait', id: 'w1', direction: 'upload' })).toBe('wait w1 upload');
    expect(eventTitle({ type: 'store.opened', tokenExpired: false })).toBe('store.opened tokenExpired=false');
    expect(eventTitle({ type: 'error', error: { name: 'SyncError', message: 'bad changeset' } })).toBe('error bad changeset');
    expect(eventTitle({ type: 'pause' })).toBe('pause');
    expect(sessionTitle({ realmPath: '/a/team-1.realm', userId: 'anon-f570085aa505cf61', partition: 'team-1' })).toBe('team-1 · anon-f570085aa505cf61');
  });

  it("keeps each step's event for the details pane, pretty-printed and bounded", () => {
    const model = createModel();
    applyFrame(model, { type: '@xstate.actor', sessionId: 'a', name: 'session', snapshot: { status: 'active' } });
    applyFrame(model, { type: '@xstate.snapshot', sessionId: 'a', event: { type: 'wait', id: 'w1', direction: 'upload' }, snapshot: { status: 'active' } });
    expect(eventDetails(model.actors.get('a')!.history[0]!.payload)).toBe('{\n  "type": "wait",\n  "id": "w1",\n  "direction": "upload"\n}');
    const big = eventDetails({ type: 'x', blob: 'y'.repeat(10_000) }, 100);
    expect(big.length).toBeLessThan(200);
    expect(big).toMatch(/… \(\d+ more characters\)$/);
  });

  it('hides progress steps from the timeline when asked, but never the step looked at', () => {
    const model = createModel();
    applyFrame(model, { type: '@xstate.actor', sessionId: 'a', name: 'session', snapshot: { status: 'active' } });
    for (const type of ['store.opened', 'progress', 'progress', 'pause', 'progress']) applyFrame(model, { type: '@xstate.snapshot', sessionId: 'a', event: { type }, snapshot: { status: 'active' } });
    const history = model.actors.get('a')!.history;
    expect(visibleSteps(history, true).map(({ step, index }) => [step.event, index])).toEqual([['store.opened', 0], ['pause', 3]]);
    expect(visibleSteps(history, false)).toHaveLength(5);
    expect(visibleSteps(history, true, history[2]!.seq).map(({ index }) => index)).toEqual([0, 2, 3]);
  });

  it('zooms a chart to its active leaf and its neighbours, at a readable scale, and whole when nothing is lit', () => {
    // A region holding a compound with two leaves, far from a second region: the whole chart is 4000 wide.
    const boxes: Record<string, Box> = {
      m: { x: 0, y: 0, width: 4000, height: 2000 },
      'm.a': { x: 0, y: 0, width: 3000, height: 2000 },
      'm.a.b': { x: 1000, y: 1000, width: 400, height: 300 },
      'm.a.b.on': { x: 1050, y: 1050, width: 100, height: 30 },
      'm.a.b.off': { x: 1200, y: 1200, width: 100, height: 30 },
      'm.z': { x: 3500, y: 100, width: 400, height: 300 },
      'm.z.leaf': { x: 3550, y: 150, width: 100, height: 30 },
    };
    const input = { boxOf: (path: string) => boxes[path], targetsOf: () => [], whole: boxes['m']!, view: { width: 660, height: 400 }, fontSize: 12 };
    const view = focusBox({ ...input, lit: ['m', 'm.a', 'm.a.b', 'm.a.b.on', 'm.z', 'm.z.leaf'] });
    const scale = 660 / view.width;
    expect(scale, 'text of 12 units drawn at least 10 px').toBeGreaterThanOrEqual(10 / 12);
    expect(view.height / view.width).toBeCloseTo(400 / 660);
    // The leaf's parent (its siblings) is in view; the far region is not, as it would not fit.
    const inside = (b: Box) => b.x >= view.x && b.y >= view.y && b.x + b.width <= view.x + view.width && b.y + b.height <= view.y + view.height;
    expect(inside(boxes['m.a.b']!)).toBe(true);
    expect(inside(boxes['m.z.leaf']!)).toBe(false);
    expect(focusBox({ ...input, lit: [] })).toEqual(boxes['m']);
    // A parent too big to read is left out: the leaf alone, centred.
    const alone = focusBox({ ...input, lit: ['m', 'm.a', 'm.a.big'], boxOf: (path) => (path === 'm.a.big' ? { x: 2000, y: 1000, width: 50, height: 20 } : boxes[path]) });
    expect(alone.x + alone.width / 2).toBeCloseTo(2025);
    expect(660 / alone.width).toBeLessThanOrEqual(1);
    // A state at the chart's edge: the view stays on the chart rather than showing blank beyond it.
    const edge = focusBox({ ...input, lit: ['m', 'm.a', 'm.a.low'], boxOf: (path) => (path === 'm.a.low' ? { x: 10, y: 1960, width: 50, height: 20 } : boxes[path]) });
    expect([edge.x, edge.y + edge.height]).toEqual([0, 2000]);
  });

  it('takes no timestamp a Date cannot hold', () => {
    const before = Date.now();
    for (const text of ['9e15', '-1', 'soon', undefined, 'Infinity']) expect(timeOf(text)).toBeGreaterThanOrEqual(before);
    expect(timeOf('1700000000000')).toBe(1_700_000_000_000);
  });
});
