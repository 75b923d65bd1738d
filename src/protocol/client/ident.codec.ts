import * as t from 'io-ts';
import { NonEmptyStringCodec } from '../changeset.codec.js';
import { CursorsCodec } from '../cursors.codec.js';
import { SessionIdCodec } from '../session-id.codec.js';

/**
 * IDENT from the client: the local file's ident and where its cursors stand. A file that never
 * synced sends no cursors.
 */
export const ClientIdentCodec = t.readonly(
  t.intersection([
    t.type({ type: t.literal('ident'), session: SessionIdCodec, fileIdent: NonEmptyStringCodec }),
    t.partial({ cursors: CursorsCodec }),
  ]),
  'ClientIdent',
);
export type ClientIdent = t.TypeOf<typeof ClientIdentCodec>;
