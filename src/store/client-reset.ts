/**
 * Client reset: the server's history of this file is gone (a new epoch), so the file starts over
 * under a new ident. This module holds the pure parts: the state the reset file starts from, and
 * which documents readers see change. `RealmFile.resetForClientReset` does the I/O and the replay.
 */
import type { DocumentKey, DocumentSet } from './document-set.js';
import { jsonEqual } from './json-value.js';
import type { RealmState } from './realm-state.js';
import { STORE_FORMAT, type SnapshotRecord } from './store-records.js';

/** How unacknowledged local changes fare in a client reset: dropped, or replayed as new changesets. */
export type ClientResetMode = 'discard' | 'recover';

/** What a client reset did. */
export interface ClientResetResult {
  /** Local changesets that were not acknowledged and were replayed as new local changesets (recover), or dropped (discard). */
  readonly unsyncedChangesets: number;
  readonly recovered: boolean;
  /** The file ident before the reset (the new one is `realm.fileIdent`). */
  readonly previousFileIdent: string;
}

/**
 * The snapshot a reset file starts from: no documents, no changesets, zero cursors, no epoch,
 * under `fileIdent`. The HLC is kept, so replayed and later stamps beat every stamp seen before.
 * Upload bytes count as transferred, as nothing of the old history is pending any more;
 * download counters carry on, so progress never moves back.
 */
export function clientResetSnapshot(state: RealmState, fileIdent: string): SnapshotRecord {
  const { upload, download } = state.progress;
  return {
    kind: 'snapshot',
    format: STORE_FORMAT,
    fileIdent,
    clientVersion: 0,
    hlc: state.hlc,
    epoch: null,
    upload: { clientVersion: 0, serverVersion: 0 },
    download: { serverVersion: 0, clientVersion: 0 },
    progress: {
      uploadTransferable: upload.transferable,
      uploadTransferred: upload.transferable,
      downloadTransferred: download.transferred,
      downloadableBytes: state.downloadable,
    },
    documents: [],
    pending: [],
  };
}

/**
 * The documents among `candidates` whose visible fields differ between `before` and `after`
 * (appeared, vanished or changed), each once. Compared by value: a replay that recreates what
 * was there already is no change for a reader.
 */
export function visiblyChanged(before: DocumentSet, after: DocumentSet, candidates: Iterable<DocumentKey>): DocumentKey[] {
  const changed = new Map<string, DocumentKey>();
  for (const { type, id } of candidates) {
    // JSON.stringify of the pair cannot collide, unlike a joined string.
    const key = JSON.stringify([type, id]);
    if (changed.has(key)) continue;
    const was = before.visible(type, id);
    const is = after.visible(type, id);
    const same = was === undefined || is === undefined ? was === is : jsonEqual(was, is);
    if (!same) changed.set(key, { type, id });
  }
  return [...changed.values()];
}
