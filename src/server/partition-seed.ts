/**
 * The first changesets of a partition's new epoch after `resetPartition`: the partition's
 * documents as of the reset, written as ordinary changesets so that clients need nothing new to
 * read them. Pure: history in, changesets out.
 *
 * A changeset cannot carry a stamp per operation: operation `i` is stamped
 * `(hlc.wall, hlc.counter, origin, i)`. The seed therefore keeps each winning write where it
 * was: one seed changeset per original changeset that still holds a winning write (same
 * `origin`, `hlc` and `clientVersion`), each surviving operation at its original index, and the
 * indexes between filled with puts of no field (which change no state). Every replica that
 * applies the seed holds the same field values and tombstones with the same stamps as one that
 * applied the whole old history, so any write, old or new, resolves against it exactly as it
 * would have before the reset.
 */
import type { Changeset, Operation } from '../protocol/changeset.codec.js';
import type { Json } from '../protocol/json.codec.js';
import { DocumentSet } from '../store/document-set.js';
import type { Stamp } from '../store/stamp.js';

/** One changeset of the history, with the user whose upload brought it (if known). */
export interface OwnedChangeset {
  readonly changeset: Changeset;
  readonly owner?: string;
}

/** The changeset an HLC reading of an origin came from: the seed changeset of that reading reuses its versions. */
interface Reading {
  readonly origin: string;
  readonly hlc: Changeset['hlc'];
  readonly clientVersion: number;
  readonly owner: string | undefined;
  /** Operations at their index; more than one map only if two changesets shared a reading (never for honest files). */
  readonly slots: Array<Map<number, Operation>>;
}

// JSON of the tuple: no two readings share a key whatever their origins hold.
const readingKey = (wall: number, counter: number, origin: string): string => JSON.stringify([wall, counter, origin]);

/**
 * The seed of a new epoch for `history` (in server-version order): changesets that, applied
 * to an empty replica in any order, give exactly the document states the history gives
 * (documents nobody ever gave a field or a tombstone left out), every field and tombstone with
 * its original stamp. In the order of the changesets they come from.
 */
export function partitionSeed(history: Iterable<OwnedChangeset>): OwnedChangeset[] {
  const documents = new DocumentSet();
  const readings = new Map<string, Reading>();
  for (const { changeset, owner } of history) {
    documents.applyChangeset(changeset);
    const key = readingKey(changeset.hlc.wall, changeset.hlc.counter, changeset.origin);
    if (!readings.has(key)) {
      readings.set(key, { origin: changeset.origin, hlc: changeset.hlc, clientVersion: changeset.clientVersion, owner, slots: [] });
    }
  }

  const place = (stamp: Stamp, op: Operation): void => {
    // Every stamp in a document state came from one of the history's changesets.
    const reading = readings.get(readingKey(stamp.wall, stamp.counter, stamp.origin))!;
    let slot = reading.slots.find((s) => !s.has(stamp.opIndex));
    if (slot === undefined) {
      slot = new Map();
      reading.slots.push(slot);
    }
    slot.set(stamp.opIndex, op);
  };

  for (const { type, id, state } of documents.entries()) {
    if (state.tombstone !== undefined) place(state.tombstone, { op: 'delete', type, id });
    // Fields set by one operation share its stamp: they go back into one put.
    const byStamp = new Map<string, { stamp: Stamp; fields: Array<[string, Json]> }>();
    for (const [name, field] of Object.entries(state.fields)) {
      const key = JSON.stringify([field.stamp.wall, field.stamp.counter, field.stamp.origin, field.stamp.opIndex]);
      const group = byStamp.get(key) ?? { stamp: field.stamp, fields: [] };
      group.fields.push([name, field.value]);
      byStamp.set(key, group);
    }
    // Object.fromEntries defines properties (a field named `__proto__` stays a field).
    for (const { stamp, fields } of byStamp.values()) place(stamp, { op: 'put', type, id, fields: Object.fromEntries(fields) });
  }

  const seed: OwnedChangeset[] = [];
  for (const reading of readings.values()) {
    for (const slot of reading.slots) {
      // Loops, not Math.max(...keys): a changeset may hold more operations than a call takes arguments.
      let last = -1;
      let lowest = Number.POSITIVE_INFINITY;
      for (const index of slot.keys()) {
        if (index > last) last = index;
        if (index < lowest) lowest = index;
      }
      const first = slot.get(lowest)!;
      // A put of no field changes no state; naming a document the changeset touches anyway
      // leaves no trace of a document that was not there.
      const filler: Operation = { op: 'put', type: first.type, id: first.id, fields: {} };
      const ops = Array.from({ length: last + 1 }, (_, i) => slot.get(i) ?? filler);
      const changeset: Changeset = { clientVersion: reading.clientVersion, origin: reading.origin, hlc: reading.hlc, ops };
      seed.push(reading.owner === undefined ? { changeset } : { changeset, owner: reading.owner });
    }
  }
  return seed;
}
