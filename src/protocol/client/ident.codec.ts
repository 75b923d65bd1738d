import * as t from 'io-ts';
import { CursorsCodec } from '../cursors.codec.js';
import { FileIdentCodec } from '../keys.js';
import { SessionIdCodec } from '../session-id.codec.js';

/**
 * IDENT from the client: the local file's ident and where its cursors stand. A file that never
 * synced sends no cursors.
 */
export const ClientIdentCodec = t.readonly(
  t.intersection([
    t.type({ type: t.literal('ident'), session: SessionIdCodec, fileIdent: FileIdentCodec }),
    t.partial({ cursors: CursorsCodec }),
  ]),
  'ClientIdent',
);
export type ClientIdent = t.TypeOf<typeof ClientIdentCodec>;
