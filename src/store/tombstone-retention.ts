/**
 * Which tombstones a file may forget: the server drops a tombstone once it is older than its
 * `historyRetentionMs` (PROTOCOL.md "Limits"), and a file whose download cursor is older than
 * that cannot be caught up any more (`clientFileExpired`), so a tombstone that old, which the
 * server has, can no longer meet a put it must hide. One the server does not have yet (a local
 * delete not acknowledged) is kept: it still has to be uploaded, and its document stays hidden
 * meanwhile. Pure: compaction decides with it (`compaction.ts`).
 */
import type { Hlc } from '../protocol/changeset.codec.js';
import type { DocumentSet } from './document-set.js';
import type { DocumentState } from './document-state.js';
import { compareHlc } from './hlc.js';
import type { Stamp } from './stamp.js';

/** What decides whether a tombstone is forgotten. */
export interface TombstoneRetention {
  /** Tombstones stamped with a wall below this (ms) are old enough: now − `historyRetentionMs`. */
  readonly beforeWall: number;
  /** This file's ident: a tombstone of another origin came from the server (a DOWNLOAD or a `state`). */
  readonly fileIdent: string;
  /**
   * The HLC of this file's first unacknowledged changeset, if any. A file's changesets have
   * strictly increasing HLCs, so one of its own tombstones stamped before it is acknowledged.
   */
  readonly firstPending: Hlc | undefined;
}

/** One document whose tombstone is forgotten, and what is left of it (`undefined`: nothing, the document goes). */
export interface ExpiredTombstone {
  readonly type: string;
  readonly id: string;
  readonly after: DocumentState | undefined;
}

/** Whether the server has the write stamped `stamp`. */
function serverHas(stamp: Stamp, retention: TombstoneRetention): boolean {
  if (stamp.origin !== retention.fileIdent) return true;
  return retention.firstPending === undefined || compareHlc(stamp, retention.firstPending) < 0;
}

/** `doc` without its tombstone if retention forgets it, else `doc` itself. */
function withoutExpiredTombstone(doc: DocumentState, retention: TombstoneRetention): DocumentState | undefined {
  const { tombstone } = doc;
  if (tombstone === undefined || !(tombstone.wall < retention.beforeWall) || !serverHas(tombstone, retention)) return doc;
  // Every field is stamped after the tombstone (the invariant of `document-state.ts`): they stay as they are.
  return Object.keys(doc.fields).length === 0 ? undefined : Object.freeze({ fields: doc.fields });
}

/** The documents of `documents` whose tombstone `retention` forgets, each with what is left of it. */
export function expiredTombstones(documents: DocumentSet, retention: TombstoneRetention): ExpiredTombstone[] {
  const expired: ExpiredTombstone[] = [];
  for (const { type, id, state } of documents.entries()) {
    const after = withoutExpiredTombstone(state, retention);
    if (after !== state) expired.push({ type, id, after });
  }
  return expired;
}
