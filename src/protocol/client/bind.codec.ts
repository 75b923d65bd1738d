import * as t from 'io-ts';
import { PartitionNameCodec } from '../keys.js';
import { SessionIdCodec } from '../session-id.codec.js';

/**
 * BIND: start session `session` on this socket for `partition` (a key: `keyProblem`), authorized
 * by an access token.
 */
export const BindCodec = t.readonly(
  t.type({ type: t.literal('bind'), session: SessionIdCodec, partition: PartitionNameCodec, token: t.string }),
  'Bind',
);
export type Bind = t.TypeOf<typeof BindCodec>;
