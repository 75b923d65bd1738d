import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { waiterMachine, type SettleParams, type WaiterEvent, type WaiterInput } from '../../machines/index.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RUNS ?? 1_000);

const error = { code: 'test', category: 'session', isFatal: true, message: 'boom' } as const;
const event: fc.Arbitrary<WaiterEvent> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(200).map((transferred) => ({ type: 'progress' as const, transferred })) },
  { weight: 3, arbitrary: fc.constantFrom<WaiterEvent>({ type: 'connected' }, { type: 'disconnected' }, { type: 'mark.reply' }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<WaiterEvent>(
      { type: 'abort', reason: new DOMException('stop', 'AbortError') },
      { type: 'fail', error },
      { type: 'close' },
    ),
  },
);
const input: fc.Arbitrary<WaiterInput> = fc.oneof(
  fc.record({ id: fc.constant('w'), direction: fc.constant('upload' as const), target: fc.nat(200), transferred: fc.nat(200) }),
  fc.constant({ id: 'w', direction: 'download' as const, target: 0, transferred: 0 }),
);

/** What docs/SEMANTICS.md §4 says the wait's end is, computed without the chart. */
function expected(i: WaiterInput, events: readonly WaiterEvent[]): { outcome: SettleParams['outcome'] | 'pending'; marks: number } {
  let acked = i.transferred;
  let connected = false;
  let marks = 0;
  if (i.direction === 'upload' && acked >= i.target) return { outcome: 'done', marks };
  for (const e of events) {
    if (e.type === 'abort') return { outcome: 'aborted', marks };
    if (e.type === 'fail') return { outcome: 'failed', marks };
    if (e.type === 'close') return { outcome: 'closed', marks };
    if (i.direction === 'upload') {
      if (e.type === 'progress') acked = Math.max(acked, e.transferred);
      if (acked >= i.target) return { outcome: 'done', marks };
      continue;
    }
    if (e.type === 'connected' && !connected) {
      connected = true;
      marks++; // a MARK goes out on every connection while the wait is pending
    }
    if (e.type === 'disconnected') connected = false;
    if (e.type === 'mark.reply' && connected) return { outcome: 'done', marks };
  }
  return { outcome: 'pending', marks };
}

describe('waiter (docs/SEMANTICS.md §4)', () => {
  it('settles exactly once, as the first deciding event says, and re-sends its MARK after each reconnect', () => {
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(input, fc.array(event, { maxLength: 30 }), (i, events) => {
        const settles: SettleParams[] = [];
        let marks = 0;
        const actor = createActor(
          waiterMachine.provide({
            actions: {
              settle: (_, params) => {
                settles.push(params);
              },
              sendMark: () => {
                marks++;
              },
            },
          }),
          { input: i },
        ).start();
        for (const e of events) if (actor.getSnapshot().status === 'active') actor.send(e);
        const want = expected(i, events);
        outcomes.set(want.outcome, (outcomes.get(want.outcome) ?? 0) + 1);
        expect(settles.length).toBe(want.outcome === 'pending' ? 0 : 1);
        expect(settles[0]?.outcome ?? 'pending').toBe(want.outcome);
        expect(marks).toBe(want.marks);
        expect(actor.getSnapshot().status).toBe(want.outcome === 'pending' ? 'active' : 'done');
        const settled = settles[0];
        if (settled?.outcome === 'aborted') expect((settled.reason as DOMException).name).toBe('AbortError');
        if (settled?.outcome === 'failed') expect(settled.error).toBe(error);
      }),
      { numRuns, seed },
    );
    console.log(`waiter: ${numRuns} runs, seed ${seed}, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect([...outcomes.keys()].sort()).toEqual(['aborted', 'closed', 'done', 'failed', 'pending']);
  });
});
