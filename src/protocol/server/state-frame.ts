/**
 * The text of a STATE message assembled from documents already in JSON: the server keeps each
 * document of a partition's state as its wire JSON, and a bootstrap of a big partition would
 * otherwise parse and encode every document again for every new client.
 */

/** A STATE frame for `session` carrying `documentJson` (each `JSON.stringify` of a `DocumentEntry`, trusted as such). */
export function encodeStateFrame(session: number, documentJson: readonly string[], downloadableBytes: number): string {
  return `{"type":"state","session":${session},"documents":[${documentJson.join(',')}],"downloadableBytes":${downloadableBytes}}`;
}
