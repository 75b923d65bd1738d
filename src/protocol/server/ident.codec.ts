import * as t from 'io-ts';
import { NatCodec, NonEmptyStringCodec } from '../changeset.codec.js';
import { SessionIdCodec } from '../session-id.codec.js';

/**
 * IDENT from the server: the session is bound; the file's ident and the history's epoch, and
 * the server's size limits (`maxMessageBytes` per frame, `maxChangesetBytes` per changeset) and
 * how far ahead of its clock it takes a stamp (`maxClockSkewMs`); absent from servers that
 * predate them.
 */
export const ServerIdentCodec = t.readonly(
  t.intersection([
    t.type({ type: t.literal('ident'), session: SessionIdCodec, fileIdent: NonEmptyStringCodec, epoch: t.string }),
    t.partial({ maxMessageBytes: NatCodec, maxChangesetBytes: NatCodec, maxClockSkewMs: NatCodec }),
  ]),
  'ServerIdent',
);
export type ServerIdent = t.TypeOf<typeof ServerIdentCodec>;
