/**
 * Document entries known to have been decoded by `DocumentEntryCodec`: the brand that lets the
 * store merge a `state` message's documents without validating them again (as
 * `decoded-changesets.codec.ts` does for a DOWNLOAD's changesets). Only decoding makes one.
 */
import * as t from 'io-ts';
import { DocumentEntryCodec, type DocumentEntry } from './document-entry.codec.js';

/** Not exported: no value can claim the brand but through the codec's cast below. */
declare const decodedByCodec: unique symbol;

/** Document entries as `DocumentEntryCodec` decoded them (unknown keys dropped, every part within the protocol's rules). */
export type DecodedDocumentEntries = readonly DocumentEntry[] & { readonly [decodedByCodec]: true };

const DocumentEntriesCodec = t.readonlyArray(DocumentEntryCodec);

/**
 * The codec of a `state` message's documents: decodes exactly as `readonlyArray(DocumentEntryCodec)`
 * and brands what it accepts. Encoding takes plain entries.
 */
export const DecodedDocumentEntriesCodec: t.Type<DecodedDocumentEntries, readonly DocumentEntry[], unknown> = new t.Type<
  DecodedDocumentEntries,
  readonly DocumentEntry[],
  unknown
>(
  DocumentEntriesCodec.name,
  (u): u is DecodedDocumentEntries => DocumentEntriesCodec.is(u),
  // The one place the brand is given: to what the element codec has just accepted.
  (u, context) => DocumentEntriesCodec.validate(u, context) as t.Validation<DecodedDocumentEntries>,
  (documents) => DocumentEntriesCodec.encode(documents),
);
