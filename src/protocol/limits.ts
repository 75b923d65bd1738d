/**
 * Size limits both sides agree on (PROTOCOL.md "Limits"). The server names its own in every
 * IDENT answer; a client uses these defaults until it has heard one.
 */

/** The server's default `maxMessageBytes`: a frame over it is `messageTooBig`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Bytes an UPLOAD frame may spend around its changesets (type, session, brackets, cursor): its
 * envelope is ~130 bytes at the largest numbers, the rest is margin.
 */
export const UPLOAD_ENVELOPE_BYTES = 1024;

/** The largest changeset (`changesetBytes`) an UPLOAD of at most `maxMessageBytes` can carry. */
export function maxChangesetBytesFor(maxMessageBytes: number): number {
  return Math.max(0, maxMessageBytes - UPLOAD_ENVELOPE_BYTES);
}

/** The client's limit on one changeset before any IDENT named the server's: that of the default server. */
export const DEFAULT_MAX_CHANGESET_BYTES = maxChangesetBytesFor(DEFAULT_MAX_MESSAGE_BYTES);

/*
 * Keys: the partition name, a document's type and id, a file's ident. Bounded in UTF-8 bytes
 * because that is what a database index holds. PostgreSQL refuses a btree entry over 2704 bytes
 * (a third of an 8 kB page, counted after compression, and random text does not compress), and
 * the PostgreSQL backend indexes keys together: the widest entry is `sync_documents`' primary
 * key (partition, type, id), at most 512 + 256 + 1024 = 1792 bytes plus ~20 of headers, a third
 * under that bound; (partition, epoch, origin, client version) of `sync_changesets` is ~800.
 * Realm itself bounds class and property names at 63 bytes and strings at 16 MiB, with no limit
 * of its own on a primary key; these bounds are the server's, set generously for readable ids
 * (paths, URLs, composite keys) and partitions (`user=…&project=…`). This client's file idents
 * are 16 hex digits; 256 leaves room for other clients' schemes (a UUID is 36).
 */

/** The longest partition name, in UTF-8 bytes (`keyProblem`). */
export const MAX_PARTITION_BYTES = 512;
/** The longest document type, in UTF-8 bytes (`keyProblem`). */
export const MAX_OBJECT_TYPE_BYTES = 256;
/** The longest document id, in UTF-8 bytes (`keyProblem`). */
export const MAX_OBJECT_ID_BYTES = 1024;
/** The longest file ident (a changeset's `origin`), in UTF-8 bytes (`keyProblem`). */
export const MAX_FILE_IDENT_BYTES = 256;
