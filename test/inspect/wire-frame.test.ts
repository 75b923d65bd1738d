import { createActor, createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { MemberSet } from '../../machines/index.js';
import { decodeFrame } from '../../src/inspect/inspection-frame.js';
import { toJson, toWireFrame, wireSnapshot } from '../../src/inspect/wire-frame.js';

describe('wire frames', () => {
  it('writes cycles, functions, actor refs, errors and odd numbers as JSON', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const ref = createActor(createMachine({ id: 'm' }));
    expect(toJson({ cyclic, fn: () => 1, ref, error: new RangeError('no'), nan: Number.NaN, big: 10n, list: [undefined, 1] })).toEqual({
      cyclic: { a: 1, self: '[circular]' },
      ref: { id: ref.id },
      error: { name: 'RangeError', message: 'no' },
      nan: 'NaN',
      big: '10',
      list: [null, 1],
    });
  });

  it('copies a __proto__ key as an ordinary key, touching no prototype', () => {
    const copy = toJson(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'));
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('shows a value with toJSON as JSON would (a Date, a MemberSet)', () => {
    expect(toJson({ at: new Date(0), members: MemberSet.of(['a', 'b']) })).toEqual({ at: '1970-01-01T00:00:00.000Z', members: ['a', 'b'] });
    const selfish = { toJSON(): unknown { return this; } };
    const throwing = { toJSON(): unknown { throw new Error('no'); } };
    expect(toJson({ selfish, throwing })).toEqual({ selfish: '[deep]', throwing: '[toJSON failed]' });
  });

  it('cuts what is nested too deep', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { deeper: deep };
    expect(JSON.stringify(toJson(deep))).toContain('[deep]');
  });

  it('keeps only the drawn parts of a live snapshot, and the frame decodes at the relay', () => {
    const actor = createActor(createMachine({ id: 'm', initial: 'a', context: { n: 1 }, states: { a: {} } })).start();
    const snapshot = wireSnapshot(actor.getSnapshot());
    expect(snapshot).toEqual({ status: 'active', value: 'a', context: { n: 1 } });
    const frame = toWireFrame({ type: '@xstate.actor', name: 'm', sessionId: actor.sessionId, parentId: undefined, rootId: actor.sessionId, definition: '{}', createdAt: '5', id: 'i', _version: '1', snapshot: actor.getSnapshot() });
    // Stamped as @statelyai/inspect's receivers require (a string `_version`).
    expect(decodeFrame(JSON.stringify(frame))).toMatchObject({ type: '@xstate.actor', name: 'm', snapshot, _version: '1', id: 'i' });
    actor.stop();
  });
});
