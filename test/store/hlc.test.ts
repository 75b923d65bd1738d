import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareHlc, HLC_ZERO, receive, tick, type Hlc } from '../../src/store/hlc.js';

const hlc = fc.record({ wall: fc.nat(1_000), counter: fc.nat(5) });
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

describe('hybrid logical clock', () => {
  it('tick follows the physical clock when it moves forward', () => {
    expect(tick(HLC_ZERO, 1_000)).toEqual({ wall: 1_000, counter: 0 });
    expect(tick({ wall: 1_000, counter: 3 }, 1_001)).toEqual({ wall: 1_001, counter: 0 });
  });

  it('tick counts within a millisecond and when the clock steps back', () => {
    expect(tick({ wall: 1_000, counter: 0 }, 1_000)).toEqual({ wall: 1_000, counter: 1 });
    expect(tick({ wall: 1_000, counter: 4 }, 500)).toEqual({ wall: 1_000, counter: 5 });
  });

  it('a clock returning garbage does not poison readings', () => {
    expect(tick({ wall: 7, counter: 0 }, Number.NaN)).toEqual({ wall: 7, counter: 1 });
    expect(tick(HLC_ZERO, -5)).toEqual({ wall: 0, counter: 1 });
    expect(tick(HLC_ZERO, 12.7)).toEqual({ wall: 12, counter: 0 });
  });

  it('receive: the standard merge', () => {
    expect(receive({ wall: 10, counter: 2 }, { wall: 10, counter: 5 }, 3)).toEqual({ wall: 10, counter: 6 });
    expect(receive({ wall: 10, counter: 2 }, { wall: 8, counter: 9 }, 3)).toEqual({ wall: 10, counter: 3 });
    expect(receive({ wall: 8, counter: 2 }, { wall: 10, counter: 9 }, 3)).toEqual({ wall: 10, counter: 10 });
    expect(receive({ wall: 8, counter: 2 }, { wall: 10, counter: 9 }, 20)).toEqual({ wall: 20, counter: 0 });
  });

  it('property: every reading exceeds the previous one and every reading received', () => {
    const runs = 500;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), hlc, fc.nat(1_000)), { maxLength: 50 }), (events) => {
        let last: Hlc = HLC_ZERO;
        for (const [isReceive, remote, physical] of events) {
          const next = isReceive ? receive(last, remote, physical) : tick(last, physical);
          expect(compareHlc(next, last)).toBeGreaterThan(0);
          if (isReceive) expect(compareHlc(next, remote)).toBeGreaterThan(0);
          expect(next.wall).toBeGreaterThanOrEqual(physical);
          last = next;
        }
      }),
      { numRuns: runs, seed },
    );
    console.log(`hlc monotonicity property: ${runs} runs, seed ${seed}`);
  });
});
