/**
 * One document's state with its stamps: how a snapshot stores a document (`store-records.ts`)
 * and how a server's `state` message carries one (PROTOCOL.md "Bootstrap and catch-up").
 */
import * as t from 'io-ts';
import { NatCodec, NonEmptyStringCodec } from './changeset.codec.js';
import { readDocumentEntry } from './document-entry.reader.js';
import { JsonCodec } from './json.codec.js';
import { withReader } from './with-reader.js';

/** A stamp as a tuple `[wall, counter, origin, opIndex]`: one per field, so it is kept short. */
export const StampTupleCodec = t.readonly(t.tuple([NatCodec, NatCodec, NonEmptyStringCodec, NatCodec]), 'StampTuple');
/** A decoded {@link StampTupleCodec}. */
export type StampTuple = t.TypeOf<typeof StampTupleCodec>;

/** One field of a document: `[name, value, stamp]`. A tuple, not an object key, so any name (even `__proto__`) is safe. */
export const FieldEntryCodec = t.readonly(t.tuple([t.string, JsonCodec, StampTupleCodec]), 'FieldEntry');
/** A decoded {@link FieldEntryCodec}. */
export type FieldEntry = t.TypeOf<typeof FieldEntryCodec>;

/** One document, tombstone included (it must keep beating late, older puts). Unknown keys are dropped. */
const DocumentEntryShape = t.readonly(
  t.exact(
    t.type({
      type: NonEmptyStringCodec,
      id: NonEmptyStringCodec,
      fields: t.readonlyArray(FieldEntryCodec),
      tombstone: t.union([StampTupleCodec, t.null]),
    }),
  ),
  'DocumentEntry',
);
/** A decoded {@link DocumentEntryCodec}. */
export type DocumentEntry = t.TypeOf<typeof DocumentEntryShape>;

/**
 * Codec of a `DocumentEntry` (the shape above), with its accepting path written out
 * (`document-entry.reader.ts`): a `state` message and a state record hold thousands.
 */
export const DocumentEntryCodec: t.Type<DocumentEntry, DocumentEntry, unknown> = withReader(DocumentEntryShape, readDocumentEntry);

/** The composed codec alone, to hold the reader to it in tests. */
export const documentEntryShape = DocumentEntryShape;
