/**
 * What the server does with an UPLOAD of a user who may only read the partition: a compensating
 * write (PROTOCOL.md "Compensating writes"). Pure, decided before anything is stored.
 *
 * Nothing with an operation is stored. The changesets the server stored before (a re-sent
 * upload) are left to `planUpload`, which skips them; so are the empty changesets that come
 * before the first one with operations: they are how a client hands back the client versions
 * of writes it was told were refused, and storing them keeps the origin's versions without a gap.
 * From the first new changeset with operations to the end of the upload, every changeset is
 * refused, and the client empties and re-sends them (it ignores those already empty).
 */
import type { Changeset } from '../protocol/changeset.codec.js';

/** The most refused writes one answer lists; the rest are counted (`omittedWrites`). */
export const MAX_LISTED_COMPENSATING_WRITES = 100;

/** One refused write, as the answer lists it: the document and why. */
export interface RefusedWrite {
  readonly type: string;
  readonly id: string;
  readonly reason: string;
}

/** The compensation of one upload. */
export interface Compensation {
  /** What `planUpload` still gets: those stored before, and the empty ones before the first refused. */
  readonly kept: readonly Changeset[];
  /** The client versions refused, `from` through `through`. */
  readonly from: number;
  readonly through: number;
  /** The documents the refused changesets wrote, each once, at most {@link MAX_LISTED_COMPENSATING_WRITES}. */
  readonly writes: readonly RefusedWrite[];
  /** How many more documents they wrote. */
  readonly omittedWrites: number;
}

/**
 * The compensation of `uploaded` by a file whose changesets through client version `stored`
 * are stored, `reason` said of each refused write; `undefined` when no new changeset writes.
 */
export function planCompensation(uploaded: readonly Changeset[], stored: number, reason: string): Compensation | undefined {
  const first = uploaded.findIndex((c) => c.clientVersion > stored && c.ops.length > 0);
  if (first < 0) return undefined;
  const refused = uploaded.slice(first);
  const seen = new Set<string>();
  const writes: RefusedWrite[] = [];
  let omittedWrites = 0;
  for (const changeset of refused) {
    for (const { type, id } of changeset.ops) {
      // JSON of the pair: no two (type, id) share it, whatever characters they hold.
      const key = JSON.stringify([type, id]);
      if (seen.has(key)) continue;
      seen.add(key);
      if (writes.length < MAX_LISTED_COMPENSATING_WRITES) writes.push({ type, id, reason });
      else omittedWrites++;
    }
  }
  return {
    kept: uploaded.slice(0, first),
    from: uploaded[first]!.clientVersion,
    // A reduce, not a spread: an upload may hold more changesets than a call takes arguments.
    through: refused.reduce((max, c) => Math.max(max, c.clientVersion), 0),
    writes,
    omittedWrites,
  };
}
