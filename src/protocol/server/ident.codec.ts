import * as t from 'io-ts';
import { NonEmptyStringCodec } from '../changeset.codec.js';
import { SessionIdCodec } from '../session-id.codec.js';

/** IDENT from the server: the session is bound; the file's ident and the history's epoch. */
export const ServerIdentCodec = t.readonly(
  t.type({ type: t.literal('ident'), session: SessionIdCodec, fileIdent: NonEmptyStringCodec, epoch: t.string }),
  'ServerIdent',
);
export type ServerIdent = t.TypeOf<typeof ServerIdentCodec>;
