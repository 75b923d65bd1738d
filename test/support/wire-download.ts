/**
 * What a raw session downloads until nothing is left: the state's documents (STATE frames) and
 * the tail's changesets (DOWNLOADs), and the documents both give a replica that starts empty.
 */
import type { ServerChangeset } from '../../src/protocol/index.js';
import type { DocumentEntry } from '../../src/protocol/document-entry.codec.js';
import { DocumentSet } from '../../src/store/document-set.js';
import { mergeDocumentStates } from '../../src/store/document-merge.js';
import { entryToDocument } from '../../src/store/snapshot.js';
import type { WireClient } from './wire-client.js';

/** Everything one download of `session` on `client` brings, up to the DOWNLOAD that leaves 0 bytes. */
export interface Downloaded {
  readonly documents: DocumentEntry[];
  readonly changesets: ServerChangeset[];
  /** The documents merged, then the changesets applied: what an empty replica holds after it. */
  readonly set: DocumentSet;
  /** The last DOWNLOAD's server version. */
  readonly serverVersion: number;
}

/** Reads STATE and DOWNLOAD frames of `session` until a DOWNLOAD says nothing is left (each within `timeoutMs`). */
export async function downloadEverything(client: WireClient, session = 1, timeoutMs = 5_000): Promise<Downloaded> {
  const documents: DocumentEntry[] = [];
  const changesets: ServerChangeset[] = [];
  const set = new DocumentSet();
  // Bounded by the server: each frame moves the download forward, and the test's timeout ends it.
  for (;;) {
    const m = await client.next((m) => (m.type === 'state' || m.type === 'download') && m.session === session, timeoutMs);
    if (m.type === 'state') {
      for (const entry of m.documents) {
        documents.push(entry);
        set.set(entry.type, entry.id, mergeDocumentStates(set.get(entry.type, entry.id), entryToDocument(entry)));
      }
    } else if (m.type === 'download') {
      for (const changeset of m.changesets) {
        changesets.push(changeset);
        set.applyChangeset(changeset);
      }
      if (m.downloadableBytes === 0) return { documents, changesets, set, serverVersion: m.cursors.serverVersion };
    }
  }
}
