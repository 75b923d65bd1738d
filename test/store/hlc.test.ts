import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HlcCodec } from '../../src/protocol/changeset.codec.js';
import { compareHlc, HLC_MAX, HLC_ZERO, MAX_HLC_COUNTER, MAX_HLC_WALL, receive, tick, type Hlc } from '../../src/store/hlc.js';

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

  it('receive with maxLeadMs: a wall further ahead of the physical clock is followed only to that lead', () => {
    const now = 1_764_081_000_000;
    const last = { wall: now - 5, counter: 3 };
    // Within the lead: the standard merge.
    expect(receive(last, { wall: now + 1_000, counter: 7 }, now, 1_000)).toEqual({ wall: now + 1_000, counter: 8 });
    // Beyond it (the hostile 2^53 − 1 included): the clock goes to the lead, not to the stamp.
    expect(receive(last, { wall: now + 1_001, counter: 7 }, now, 1_000)).toEqual({ wall: now + 1_000, counter: 1 });
    expect(receive(last, HLC_MAX, now, 1_000)).toEqual({ wall: now + 1_000, counter: 1 });
    // Never back: a clock already past the lead stays where it is and counts on.
    expect(receive({ wall: now + 9_000, counter: 0 }, HLC_MAX, now, 1_000)).toEqual({ wall: now + 9_000, counter: 1 });
    // A physical clock reading garbage measures no lead: the remote is followed.
    expect(receive(last, { wall: now, counter: 0 }, Number.NaN, 1_000)).toEqual({ wall: now, counter: 1 });
  });

  it('a counter at its bound carries into the wall; the greatest reading saturates', () => {
    expect(tick({ wall: 1_000, counter: MAX_HLC_COUNTER }, 5)).toEqual({ wall: 1_001, counter: 0 });
    expect(receive({ wall: 1_000, counter: MAX_HLC_COUNTER }, { wall: 1_000, counter: 3 }, 5)).toEqual({ wall: 1_001, counter: 0 });
    const hostile = { wall: Number.MAX_SAFE_INTEGER, counter: Number.MAX_SAFE_INTEGER };
    expect(receive(HLC_ZERO, hostile, Date.now())).toEqual(HLC_MAX);
    expect(tick(HLC_MAX, Date.now())).toEqual(HLC_MAX);
    // Written by a clock before the bound (2^53 + 1 rounds to 2^53): carried back into range.
    expect(tick({ wall: 7, counter: 2 ** 53 }, 0)).toEqual({ wall: 8, counter: 1 });
    expect(tick(HLC_ZERO, 1e300)).toEqual({ wall: MAX_HLC_WALL, counter: 0 });
  });

  it('property: whatever it is given, the clock issues readings its codec accepts, within the bounds, never going back', () => {
    const runs = 1_000;
    const edge = fc.constantFrom(0, 1, MAX_HLC_COUNTER - 1, MAX_HLC_COUNTER, MAX_HLC_COUNTER + 1, 2 ** 52, MAX_HLC_WALL - 1, MAX_HLC_WALL);
    const component = fc.oneof(fc.nat(1_000), edge, fc.maxSafeNat());
    const extreme = fc.record({ wall: component, counter: component });
    const physical = fc.oneof(fc.nat(1_000), edge, fc.double(), fc.constantFrom(Number.NaN, -1, Number.POSITIVE_INFINITY, 1e300));
    let events = 0;
    let saturated = 0;
    let carried = 0;
    fc.assert(
      fc.property(extreme, fc.array(fc.tuple(fc.boolean(), extreme, physical), { minLength: 1, maxLength: 40 }), (start, steps) => {
        let last: Hlc = start;
        for (const [isReceive, remote, now] of steps) {
          const next = isReceive ? receive(last, remote, now) : tick(last, now);
          events++;
          expect(HlcCodec.is(next)).toBe(true);
          expect(next.wall).toBeLessThanOrEqual(MAX_HLC_WALL);
          expect(next.counter).toBeLessThanOrEqual(MAX_HLC_COUNTER);
          expect(Number.isSafeInteger(next.wall) && Number.isSafeInteger(next.counter)).toBe(true);
          const top = compareHlc(next, HLC_MAX) === 0;
          if (top) saturated++;
          if (last.counter >= MAX_HLC_COUNTER && next.counter === 0 && next.wall === last.wall + 1) carried++;
          // Strictly later than everything seen, except where the greatest reading is reached.
          if (!top) {
            expect(compareHlc(next, last)).toBeGreaterThan(0);
            if (isReceive) expect(compareHlc(next, remote)).toBeGreaterThan(0);
          } else expect(compareHlc(next, last) >= 0 || compareHlc(last, HLC_MAX) > 0).toBe(true);
          if (Number.isFinite(now) && now > 0) expect(next.wall).toBeGreaterThanOrEqual(Math.min(Math.floor(now), MAX_HLC_WALL));
          last = next;
        }
      }),
      { numRuns: runs, seed },
    );
    console.log(`hlc bounds property: ${runs} runs, seed ${seed}, ${events} readings, ${saturated} at the greatest reading, ${carried} carried from a counter at or past its bound`);
  });
});
