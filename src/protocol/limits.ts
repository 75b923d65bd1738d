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
