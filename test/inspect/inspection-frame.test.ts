import type { StatelyInspectionEvent } from '@statelyai/inspect';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/protocol/json.codec.js';
import { decodeFrame, MAX_FRAME_BYTES } from '../../src/inspect/inspection-frame.js';
import { toWireFrame } from '../../src/inspect/wire-frame.js';

const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);

const actor = { type: '@xstate.actor', sessionId: 'x:0', name: 'session', createdAt: '1', snapshot: { status: 'active', value: 'idle', context: {} } };

describe('decodeFrame', () => {
  it('reads frames nested as deep as apps write them (an app cuts a deeper context)', () => {
    const event = { type: '@xstate.snapshot', sessionId: 'x:0', rootId: 'x:0', createdAt: '1', id: 'i', _version: '1', event: { type: 'e' }, snapshot: { status: 'active', value: 'a', context: nest(100) } };
    const frame = toWireFrame(event as unknown as StatelyInspectionEvent);
    expect(JSON.stringify(frame)).toContain('[deep]');
    expect(decodeFrame(JSON.stringify(frame))).toBeDefined();
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
    ['nested just past the limit', JSON.stringify({ ...actor, snapshot: { status: 'active', context: nest(MAX_JSON_DEPTH) } })],
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
