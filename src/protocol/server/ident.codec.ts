import * as t from 'io-ts';
import { NatCodec } from '../changeset.codec.js';
import { FileIdentCodec } from '../keys.js';
import { SessionIdCodec } from '../session-id.codec.js';

/** A positive safe integer (a duration that must not be zero). */
const PositiveIntCodec = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, 'PositiveInt');

/**
 * IDENT from the server: the session is bound; the file's ident and the history's epoch, and
 * the server's size limits (`maxMessageBytes` per frame, `maxChangesetBytes` per changeset) and
 * how far ahead of its clock it takes a stamp (`maxClockSkewMs`); absent from servers that
 * predate them. `historyRetentionMs`: the server drops tombstones older than that (absent: it
 * keeps them all).
 */
export const ServerIdentCodec = t.readonly(
  t.intersection([
    t.type({ type: t.literal('ident'), session: SessionIdCodec, fileIdent: FileIdentCodec, epoch: t.string }),
    t.partial({ maxMessageBytes: NatCodec, maxChangesetBytes: NatCodec, maxClockSkewMs: NatCodec, historyRetentionMs: PositiveIntCodec }),
  ]),
  'ServerIdent',
);
export type ServerIdent = t.TypeOf<typeof ServerIdentCodec>;
