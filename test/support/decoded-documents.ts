/**
 * Document entries as a `state` message's decoder gives them, for tests that feed a realm file
 * directly: `RealmFile.integrateState` takes only documents a codec has read.
 */
import { DecodedDocumentEntriesCodec, readableErrors, type DecodedDocumentEntries } from '../../src/protocol/index.js';

/** `documents` decoded by `DecodedDocumentEntriesCodec` (unknown keys dropped, as off the wire); throws for what it refuses. */
export function decodedDocuments(documents: readonly unknown[]): DecodedDocumentEntries {
  const result = DecodedDocumentEntriesCodec.decode(documents);
  if (result._tag === 'Left') throw new Error(`not document entries: ${readableErrors(result.left)}`);
  return result.right;
}
