import * as t from 'io-ts';
import { NonEmptyStringCodec } from '../changeset.codec.js';
import { SessionIdCodec } from '../session-id.codec.js';

/** MARK from the server: every DOWNLOAD sent before the client's MARK `requestId` is out. */
export const ServerMarkCodec = t.readonly(
  t.type({ type: t.literal('mark'), session: SessionIdCodec, requestId: NonEmptyStringCodec }),
  'ServerMark',
);
export type ServerMark = t.TypeOf<typeof ServerMarkCodec>;
