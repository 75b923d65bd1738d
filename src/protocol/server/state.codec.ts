import * as t from 'io-ts';
import { NatCodec } from '../changeset.codec.js';
import { DecodedDocumentEntriesCodec } from '../decoded-documents.codec.js';
import { SessionIdCodec } from '../session-id.codec.js';

/**
 * STATE: documents of the partition's state that changed after the client's download cursor,
 * each with its stamps (a `DocumentEntry`), and the bytes still to download after this message
 * (the state's remaining documents, then the tail). The client merges them into its own; no
 * cursor moves: the DOWNLOAD that ends the batch does (PROTOCOL.md "Bootstrap and catch-up").
 * Its decoded documents carry the brand of `DecodedDocumentEntriesCodec`.
 */
export const StateCodec = t.readonly(
  t.type({
    type: t.literal('state'),
    session: SessionIdCodec,
    documents: DecodedDocumentEntriesCodec,
    downloadableBytes: NatCodec,
  }),
  'State',
);
/** A decoded {@link StateCodec}. */
export type State = t.TypeOf<typeof StateCodec>;
