/**
 * What a partition holds as a client sees it, and what a history should give: the helpers the
 * storage acceptance suite and the crash tests compare with.
 */
import type { Changeset } from '../../../src/protocol/changeset.codec.js';
import type { PartitionHandle } from '../../../src/server/storage/server-storage.js';
import { DocumentSet } from '../../../src/store/document-set.js';
import { documentToEntry, entryToDocument } from '../../../src/store/snapshot.js';
import type { DocumentEntry } from '../../../src/store/store-records.js';

/** Every document's wire JSON, by `type/id`, sorted; documents nobody gave a field or a tombstone left out. */
export function dumpDocuments(set: DocumentSet): Record<string, string> {
  const out: Array<[string, string]> = [];
  for (const { type, id, state } of set.entries()) {
    if (state.tombstone === undefined && Object.keys(state.fields).length === 0) continue;
    // Fields in name order: the same state may list them in another order (merge order differs).
    const entry = documentToEntry(type, id, state);
    const fields = [...entry.fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    out.push([JSON.stringify([type, id]), JSON.stringify({ ...entry, fields })]);
  }
  out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(out);
}

/** The documents of `history` applied in order. */
export function foldHistory(history: readonly Changeset[]): DocumentSet {
  const set = new DocumentSet();
  for (const changeset of history) set.applyChangeset(changeset);
  return set;
}

/** Reads a whole state read of `handle` (documents changed after `after`) in batches of `maxBytes`. */
export async function readWholeState(handle: PartitionHandle, after: number, maxBytes = 1024): Promise<{ documents: DocumentEntry[]; stateVersion: number; totalBytes: number; batches: number }> {
  const reader = await handle.readState(after);
  const documents: DocumentEntry[] = [];
  let batches = 0;
  try {
    for (let i = 0; i < 1_000_000; i++) {
      const batch = await reader.next(maxBytes);
      batches++;
      for (const json of batch.documentJson) documents.push(JSON.parse(json) as DocumentEntry);
      if (batch.done) break;
    }
  } finally {
    await reader.close();
  }
  return { documents, stateVersion: reader.stateVersion, totalBytes: reader.totalBytes, batches };
}

/** Reads the whole tail after `after` as `origin` would (its own left out). */
export async function readWholeTail(handle: PartitionHandle, after: number, origin: string, maxBytes = 1024): Promise<Array<Changeset & { serverVersion: number }>> {
  const out: Array<Changeset & { serverVersion: number }> = [];
  let at = after;
  for (let i = 0; at < handle.latest && i < 1_000_000; i++) {
    const batch = await handle.readTail(at, origin, maxBytes);
    if ('folded' in batch) throw new Error(`tail after ${at} was folded (state ${batch.stateVersion})`);
    for (const json of batch.changesetJson) out.push(JSON.parse(json) as Changeset & { serverVersion: number });
    at = batch.through;
  }
  return out;
}

/** What a new client gets: the state from 0, then the tail after it, merged (retried if a fold moves the state meanwhile). */
export async function clientView(handle: PartitionHandle): Promise<{ set: DocumentSet; stateVersion: number; tail: Array<Changeset & { serverVersion: number }> }> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { documents, stateVersion } = await readWholeState(handle, 0);
    const set = new DocumentSet();
    for (const entry of documents) set.set(entry.type, entry.id, entryToDocument(entry));
    try {
      const tail = await readWholeTail(handle, stateVersion, 'a client that never wrote');
      for (const changeset of tail) set.applyChangeset(changeset);
      return { set, stateVersion, tail };
    } catch (error) {
      if (!String(error).includes('was folded')) throw error;
    }
  }
  throw new Error('the state moved on 100 times');
}
