import * as t from 'io-ts';
import { SessionIdCodec } from '../session-id.codec.js';

/** UNBIND: end session `session` on this socket; the server answers UNBOUND. */
export const UnbindCodec = t.readonly(t.type({ type: t.literal('unbind'), session: SessionIdCodec }), 'Unbind');
export type Unbind = t.TypeOf<typeof UnbindCodec>;
