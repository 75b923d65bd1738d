import { describe, expect, it } from 'vitest';
import { RelayHub } from '../../src/inspect/relay-hub.js';

const actorFrame = (sessionId: string, parentId?: string) =>
  JSON.stringify({ type: '@xstate.actor', sessionId, name: 'session', createdAt: '1', ...(parentId ? { parentId } : {}), snapshot: { status: 'active', value: 'a' } });
const step = (sessionId: string, value: string, status = 'active') =>
  JSON.stringify({ type: '@xstate.snapshot', sessionId, event: { type: 'go' }, snapshot: { status, value } });
const parse = (text: string) => JSON.parse(text) as { type: string; sessionId: string; parentId?: string; snapshot?: { status: string; value: string } };

describe('the relay hub', () => {
  it("prefixes every id with its client's tag, so two processes never collide", () => {
    const hub = new RelayHub();
    const a = hub.join().tag;
    const b = hub.join().tag;
    const fromA = hub.receive(a, actorFrame('x:1', 'x:0'));
    const fromB = hub.receive(b, actorFrame('x:1'));
    expect('forward' in fromA && parse(fromA.forward)).toMatchObject({ sessionId: `${a}/x:1`, parentId: `${a}/x:0` });
    expect('forward' in fromB && parse(fromB.forward)).toMatchObject({ sessionId: `${b}/x:1` });
    expect(hub.actors).toBe(2);
  });

  it('drops malformed frames and counts them', () => {
    const hub = new RelayHub();
    const { tag } = hub.join();
    for (const bad of ['nope', '{}', '[]', undefined, JSON.stringify({ type: '@xstate.actor' })]) expect(hub.receive(tag, bad)).toEqual({ dropped: 'malformed' });
    expect(hub.receive('c99', actorFrame('x:0'))).toEqual({ dropped: 'malformed' });
    expect(hub.malformed).toBe(6);
    expect(hub.actors).toBe(0);
  });

  it('replays the live actors and their recent steps to a late joiner, not the stopped ones', () => {
    const hub = new RelayHub();
    const { tag } = hub.join();
    hub.receive(tag, actorFrame('x:0'));
    hub.receive(tag, actorFrame('x:1'));
    hub.receive(tag, step('x:0', 'b'));
    hub.receive(tag, step('x:1', 'done', 'done'));
    const replay = hub.join().replay.map(parse);
    expect(replay.map((f) => [f.type, f.sessionId])).toEqual([
      ['@xstate.actor', `${tag}/x:0`],
      ['@xstate.snapshot', `${tag}/x:0`],
    ]);
    expect(replay[0]!.snapshot!.value).toBe('b');
  });

  it("tells everyone a leaving client's actors stopped", () => {
    const hub = new RelayHub();
    const { tag } = hub.join();
    const other = hub.join().tag;
    hub.receive(tag, actorFrame('x:0'));
    hub.receive(other, actorFrame('x:0'));
    const frames = hub.leave(tag).map(parse);
    expect(frames).toEqual([expect.objectContaining({ type: '@xstate.snapshot', sessionId: `${tag}/x:0`, snapshot: { status: 'stopped', value: 'a' } })]);
    expect(hub.actors).toBe(1);
    expect(hub.leave(tag)).toEqual([]);
  });

  it('keeps its memory bounded', () => {
    const hub = new RelayHub({ actors: 10, recentBytes: 20 * step('x:99', 'v999').length });
    const { tag } = hub.join();
    for (let i = 0; i < 100; i++) hub.receive(tag, actorFrame(`x:${i}`));
    for (let i = 0; i < 1_000; i++) hub.receive(tag, step('x:99', `v${i}`));
    expect(hub.actors).toBe(10);
    const replay = hub.join().replay;
    expect(replay.length).toBeLessThanOrEqual(10 + 20);
    expect(parse(replay.at(-1)!).snapshot!.value).toBe('v999');
  });

  it('replays nothing to a source, and lets no client speak for another', () => {
    const hub = new RelayHub();
    const first = hub.join().tag;
    hub.receive(first, actorFrame('x:0'));
    expect(hub.join('source').replay).toEqual([]);
    const second = hub.join().tag;
    const forged = hub.receive(second, step(`${first}/x:0`, 'stolen', 'stopped'));
    expect('forward' in forged && parse(forged.forward).sessionId).toBe(`${second}/${first}/x:0`);
    expect(hub.actors).toBe(1);
    expect(hub.leave(second)).toEqual([]);
    expect(hub.leave(first)).toHaveLength(1);
  });

  it('keeps live actors within their byte budget, forgetting the oldest', () => {
    const size = actorFrame('x:0').length + 8;
    const hub = new RelayHub({ actorBytes: 5 * size });
    const { tag } = hub.join();
    for (let i = 0; i < 20; i++) hub.receive(tag, actorFrame(`x:${i}`));
    expect(hub.actors).toBeLessThanOrEqual(5);
    expect(parse(hub.join().replay.at(-1)!).sessionId).toBe(`${tag}/x:19`);
  });
});
