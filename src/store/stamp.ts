/**
 * The stamp of one write: the total order that decides, per field and per tombstone, which
 * write wins on every replica (ARCHITECTURE.md, "The data plane").
 */
import type { Changeset } from '../protocol/changeset.codec.js';

/**
 * (hlc.wall, hlc.counter, origin, opIndex), compared in that order. `origin` is the writing
 * file's ident: it breaks ties between files that committed at the same HLC reading; `opIndex`
 * orders the operations of one changeset, so a later operation overrides an earlier one.
 */
export interface Stamp {
  readonly wall: number;
  readonly counter: number;
  readonly origin: string;
  readonly opIndex: number;
}

/** The stamp of operation `opIndex` of `changeset`. */
export function stampOf(changeset: Pick<Changeset, 'hlc' | 'origin'>, opIndex: number): Stamp {
  return { wall: changeset.hlc.wall, counter: changeset.hlc.counter, origin: changeset.origin, opIndex };
}

/**
 * Orders two stamps lexicographically: negative, zero or positive as `a` is less than, equal
 * to or greater than `b`. Origins compare by UTF-16 code units (plain `<`), never by locale, so
 * every replica agrees whatever its environment.
 */
export function compareStamps(a: Stamp, b: Stamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  if (a.origin !== b.origin) return a.origin < b.origin ? -1 : 1;
  if (a.opIndex !== b.opIndex) return a.opIndex < b.opIndex ? -1 : 1;
  return 0;
}
