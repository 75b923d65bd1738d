import * as t from 'io-ts';
import { NonEmptyStringCodec } from '../changeset.codec.js';
import { SessionIdCodec } from '../session-id.codec.js';

/** BIND: start session `session` on this socket for `partition`, authorized by an access token. */
export const BindCodec = t.readonly(
  t.type({ type: t.literal('bind'), session: SessionIdCodec, partition: NonEmptyStringCodec, token: t.string }),
  'Bind',
);
export type Bind = t.TypeOf<typeof BindCodec>;
