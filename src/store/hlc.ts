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

/**
 * The greatest wall a reading may hold: the greatest integer the codec (`NatCodec`, safe
 * integers) accepts. A wall beyond it is no time any clock shows, so readings never get there.
 */
export const MAX_HLC_WALL = Number.MAX_SAFE_INTEGER;

/**
 * The greatest counter a reading may hold, 2^32 − 1. When a reading's counter is at it, the next
 * reading carries instead of counting: wall + 1 ms, counter 0 (see {@link tick}). So the counter
 * stays far inside what every codec accepts whatever stamps arrive, and a counter beyond this
 * bound was not made by this clock: the server refuses one (`clockSkew`, PROTOCOL.md).
 */
export const MAX_HLC_COUNTER = 0xffff_ffff;

/** The greatest reading: where the clock saturates (stays) instead of leaving the codec's range. */
export const HLC_MAX: Hlc = Object.freeze({ wall: MAX_HLC_WALL, counter: MAX_HLC_COUNTER });

/** Whether `hlc` is within both bounds: a reading this clock can issue. */
export function isBoundedHlc(hlc: Hlc): boolean {
  return hlc.wall <= MAX_HLC_WALL && hlc.counter <= MAX_HLC_COUNTER;
}

/**
 * The least reading within the bounds that is at least `hlc`: `hlc` itself when it is within
 * them; a counter beyond its bound carries into the wall; beyond both, {@link HLC_MAX}. Stamps
 * written before the bounds existed, or received from a replica that ignores them, go through
 * this before the clock counts on from them.
 */
export function boundedHlc(hlc: Hlc): Hlc {
  if (hlc.wall > MAX_HLC_WALL || (hlc.wall === MAX_HLC_WALL && hlc.counter > MAX_HLC_COUNTER)) return HLC_MAX;
  if (hlc.counter > MAX_HLC_COUNTER) return { wall: hlc.wall + 1, counter: 0 };
  return hlc;
}

/**
 * The next reading after a bounded `hlc`: counter + 1, or at the counter's bound a carry (wall
 * + 1, counter 0), or at {@link HLC_MAX} that reading again: the one place where readings stop
 * increasing, rather than leave the range every codec accepts.
 */
function successor(hlc: Hlc): Hlc {
  if (hlc.counter < MAX_HLC_COUNTER) return { wall: hlc.wall, counter: hlc.counter + 1 };
  if (hlc.wall < MAX_HLC_WALL) return { wall: hlc.wall + 1, counter: 0 };
  return HLC_MAX;
}

/**
 * The reading for a local event: greater than `last`, and at least the physical time. Always
 * within the bounds ({@link MAX_HLC_WALL}, {@link MAX_HLC_COUNTER}), whatever `last` is; equal
 * to `last` only at {@link HLC_MAX}.
 */
export function tick(last: Hlc, physicalNowMs: number): Hlc {
  const physical = physicalMs(physicalNowMs);
  const from = boundedHlc(last);
  if (physical > from.wall) return { wall: physical, counter: 0 };
  return successor(from);
}

/**
 * The reading after receiving `remote`: greater than both `last` and `remote`, so the next
 * local stamp beats every stamp this replica has seen. With `maxLeadMs`, a `remote` whose wall
 * runs further than that ahead of the physical clock counts as a reading at that lead (see
 * `followedHlc`): the next local stamp then beats every stamp but that one. Within the bounds whatever `remote` is
 * (a hostile `{ wall: 2^53 − 1, counter: 2^53 − 1 }` gives {@link HLC_MAX}); not greater only
 * where {@link HLC_MAX} is reached.
 */
export function receive(last: Hlc, remote: Hlc, physicalNowMs: number, maxLeadMs = Number.POSITIVE_INFINITY): Hlc {
  const physical = physicalMs(physicalNowMs);
  const mine = boundedHlc(last);
  const theirs = followedHlc(boundedHlc(remote), physical, maxLeadMs);
  const wall = Math.max(physical, mine.wall, theirs.wall);
  if (wall === mine.wall && wall === theirs.wall) return successor({ wall, counter: Math.max(mine.counter, theirs.counter) });
  if (wall === mine.wall) return successor(mine);
  if (wall === theirs.wall) return successor(theirs);
  return { wall, counter: 0 };
}

/**
 * What the clock follows of a received reading: the reading itself, or one whose wall runs
 * more than `maxLeadMs` ahead of the physical clock cut to that lead. A wall the server would
 * refuse from this replica (PROTOCOL.md `clockSkew`) must not drag the clock there: every later
 * local stamp would be refused too, for as long as the wall is ahead (2^53 − 1: forever). Not
 * cut while the physical clock reads garbage (0): there is nothing to measure the lead from.
 */
function followedHlc(theirs: Hlc, physical: number, maxLeadMs: number): Hlc {
  if (physical === 0 || !(maxLeadMs >= 0) || theirs.wall - physical <= maxLeadMs) return theirs;
  return { wall: Math.min(physical + maxLeadMs, MAX_HLC_WALL), counter: 0 };
}

/**
 * A clock reading as a whole non-negative millisecond count within {@link MAX_HLC_WALL}. A
 * clock that returns garbage (NaN, negative) must not poison stamps: it is treated as the
 * epoch, which makes the HLC run on its counter alone until the clock recovers.
 */
function physicalMs(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.min(Math.floor(ms), MAX_HLC_WALL) : 0;
}
