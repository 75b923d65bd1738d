import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, MAX_FRAME_BYTES, MAX_FRAME_DEPTH } from '../../src/inspect/inspection-frame.js';

const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);

const actor = { type: '@xstate.actor', sessionId: 'x:0', name: 'session', createdAt: '1', snapshot: { status: 'active', value: 'idle', context: {} } };

describe('decodeFrame', () => {
  it('reads frames nested as deep as apps write them', () => {
    expect(decodeFrame(JSON.stringify({ ...actor, snapshot: { status: 'active', context: nest(MAX_FRAME_DEPTH - 4) } }))).toBeDefined();
  });

  it('reads the three frame shapes', () => {
    expect(decodeFrame(JSON.stringify(actor))).toMatchObject({ type: '@xstate.actor', sessionId: 'x:0' });
    expect(decodeFrame(JSON.stringify({ type: '@xstate.snapshot', sessionId: 'x:0', event: { type: 'pause' }, snapshot: { status: 'active' } }))).toMatchObject({ event: { type: 'pause' } });
    expect(decodeFrame(JSON.stringify({ type: '@xstate.event', sessionId: 'x:0', event: { type: 'pause' } }))).toMatchObject({ type: '@xstate.event' });
  });

  it.each([
    ['not text', Buffer.from('{}')],
    ['not JSON', '{"type":'],
    ['an array', '[1,2]'],
    ['an unknown type', JSON.stringify({ ...actor, type: '@xstate.microstep' })],
    ['no session id', JSON.stringify({ ...actor, sessionId: 7 })],
    ['a snapshot without status', JSON.stringify({ ...actor, snapshot: { value: 'idle' } })],
    ['an event without type', JSON.stringify({ type: '@xstate.event', sessionId: 'x', event: {} })],
    ['too big', JSON.stringify({ ...actor, name: 'x'.repeat(MAX_FRAME_BYTES) })],
    ['nested too deep to write out again', `{"type":"@xstate.actor","sessionId":"x","snapshot":{"status":"active","context":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`],
    ['nested just past the limit', JSON.stringify({ ...actor, snapshot: { status: 'active', context: nest(MAX_FRAME_DEPTH) } })],
  ])('drops %s', (_what, data) => {
    expect(decodeFrame(data)).toBeUndefined();
  });

  it('never throws, whatever the text (property)', () => {
    const details = fc.check(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ ...actor, snapshot: v }))), (text) => {
        decodeFrame(text);
      }),
      { numRuns: 2_000 },
    );
    console.info(`decodeFrame property: ${details.numRuns} runs, seed ${details.seed}`);
    expect(details.failed, fc.defaultReportMessage(details) ?? '').toBe(false);
  });
});
