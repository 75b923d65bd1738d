/**
 * Hybrid logical clock (Kulkarni et al., 2014): readings that follow physical time when clocks
 * behave, and still strictly increase, and exceed every reading seen from other replicas, when
 * a clock steps back or runs behind. That is what makes "the greatest stamp wins" mean "the
 * latest write wins" without trusting any single clock.
 */
import type { Hlc } from '../protocol/changeset.codec.js';

/** A clock reading `{ wall, counter }` (defined with its codec in `changeset.codec.ts`). */
export type { Hlc };

/** The reading before any event: every real reading is greater. */
export const HLC_ZERO: Hlc = Object.freeze({ wall: 0, counter: 0 });

/** Orders two readings: negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareHlc(a: Hlc, b: Hlc): number {
  return a.wall !== b.wall ? (a.wall < b.wall ? -1 : 1) : a.counter !== b.counter ? (a.counter < b.counter ? -1 : 1) : 0;
}

/** The later of two readings. */
export function maxHlc(a: Hlc, b: Hlc): Hlc {
  return compareHlc(a, b) >= 0 ? a : b;
}

/** The reading for a local event: greater than `last`, and at least the physical time. */
export function tick(last: Hlc, physicalNowMs: number): Hlc {
  const physical = physicalMs(physicalNowMs);
  if (physical > last.wall) return { wall: physical, counter: 0 };
  return { wall: last.wall, counter: last.counter + 1 };
}

/**
 * The reading after receiving `remote`: greater than both `last` and `remote`, so the next
 * local stamp beats every stamp this replica has seen.
 */
export function receive(last: Hlc, remote: Hlc, physicalNowMs: number): Hlc {
  const physical = physicalMs(physicalNowMs);
  const wall = Math.max(physical, last.wall, remote.wall);
  if (wall === last.wall && wall === remote.wall) return { wall, counter: Math.max(last.counter, remote.counter) + 1 };
  if (wall === last.wall) return { wall, counter: last.counter + 1 };
  if (wall === remote.wall) return { wall, counter: remote.counter + 1 };
  return { wall, counter: 0 };
}

/**
 * A clock reading as a whole non-negative millisecond count. A clock that returns garbage
 * (NaN, negative) must not poison stamps: it is treated as the epoch, which makes the HLC run on
 * its counter alone until the clock recovers.
 */
function physicalMs(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms) : 0;
}
