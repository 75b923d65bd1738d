/**
 * docs/SEMANTICS.md §5.7 on the chart alone, with a simulated clock: the server's `backoffMs`
 * is hostile input (any natural number, or none), and the wait the chart takes from it is
 * bounded both ways: no hot loop at 0, no overflowing or day-long timer at 2^53 − 1.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor } from 'xstate';
import { sessionMachine, type SessionEvent } from '../../machines/session.machine.js';

const internalError = (backoffMs: number | undefined): SessionEvent => ({
  type: 'error',
  error: { code: 'internalError', category: 'connection', isFatal: false, message: 'could not store the upload' },
  ...(backoffMs === undefined ? {} : { backoffMs }),
});

/** A session chart driven to `connection.connected.uploading`. */
function connectedSession() {
  const clock = new SimulatedClock();
  const actor = createActor(sessionMachine, { clock, input: {} });
  actor.start();
  actor.send({ type: 'store.opened', tokenExpired: false });
  actor.send({ type: 'connection.open' });
  actor.send({ type: 'server.ident' });
  expect(actor.getSnapshot().matches({ connection: { connected: 'uploading' } })).toBe(true);
  return { actor, clock };
}

const retrying = (actor: ReturnType<typeof connectedSession>['actor']) => actor.getSnapshot().matches({ connection: { connected: 'retryingUploads' } });

describe('the upload retry delay (docs/SEMANTICS.md §5.7)', () => {
  // The bounds as docs/SEMANTICS.md §5.7 states them: 1 s when none is named, 100 ms to 60 s.
  const cases: Array<[number | undefined, number]> = [
    [undefined, 1_000],
    [0, 100],
    [1, 100],
    [400, 400],
    [2 ** 31, 60_000],
    [Number.MAX_SAFE_INTEGER, 60_000],
  ];
  it.each(cases)('backoffMs %s waits %s ms, then uploads again; asked again meanwhile, the wait starts over', (backoffMs, expected) => {
    const { actor, clock } = connectedSession();
    actor.send(internalError(backoffMs));
    expect(retrying(actor)).toBe(true);
    expect(actor.getSnapshot().context.uploadRetryDelayMs).toBe(expected);
    expect(actor.getSnapshot().children['upload']).toBeUndefined();
    clock.increment(expected - 1);
    expect(retrying(actor)).toBe(true);
    // Asked again one millisecond before the end: a whole new wait.
    actor.send(internalError(backoffMs));
    clock.increment(expected - 1);
    expect(retrying(actor)).toBe(true);
    clock.increment(1);
    expect(actor.getSnapshot().matches({ connection: { connected: 'uploading' } })).toBe(true);
    expect(actor.getSnapshot().context.upload).toEqual({ transferred: 0, transferable: 0 });
    expect(actor.getSnapshot().value).toMatchObject({ lifecycle: { syncing: { active: 'running' } } });
    actor.stop();
  });

  it('a compensatingWrite restarts the upload from the last acknowledged changeset after its wait; the session stays running', () => {
    const { actor, clock } = connectedSession();
    const before = actor.getSnapshot().children['upload'];
    expect(before).toBeDefined();
    actor.send({
      type: 'error',
      error: { code: 'compensatingWrite', category: 'session', isFatal: false, message: 'refused', compensatingWrites: [{ type: 'Task', id: 't', reason: 'read only' }] },
      backoffMs: 0,
    });
    expect(retrying(actor)).toBe(true);
    expect(actor.getSnapshot().children['upload']).toBeUndefined();
    clock.increment(100);
    expect(actor.getSnapshot().matches({ connection: { connected: 'uploading' } })).toBe(true);
    // A new upload actor: it starts from the last acknowledged changeset, which sends the emptied ones.
    expect(actor.getSnapshot().children['upload']).toBeDefined();
    expect(actor.getSnapshot().children['upload']).not.toBe(before);
    expect(actor.getSnapshot().value).toMatchObject({ lifecycle: { syncing: { active: 'running' } } });
    actor.stop();
  });

  it('a clockSkew without backoffMs, or an error of another category, does not pause uploads', () => {
    const { actor } = connectedSession();
    actor.send({ type: 'error', error: { code: 'clockSkew', category: 'session', isFatal: false, message: 'counter beyond the bound' } });
    actor.send({ type: 'error', error: { code: 'test.session', category: 'session', isFatal: false, message: 'a session error' } });
    expect(actor.getSnapshot().matches({ connection: { connected: 'uploading' } })).toBe(true);
    actor.stop();
  });
});
