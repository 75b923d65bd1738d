import * as t from 'io-ts';
import { NonEmptyStringCodec } from '../changeset.codec.js';
import { SessionIdCodec } from '../session-id.codec.js';

/** MARK from the client: answer me with the same id once every DOWNLOAD before it is sent. */
export const ClientMarkCodec = t.readonly(
  t.type({ type: t.literal('mark'), session: SessionIdCodec, requestId: NonEmptyStringCodec }),
  'ClientMark',
);
export type ClientMark = t.TypeOf<typeof ClientMarkCodec>;
