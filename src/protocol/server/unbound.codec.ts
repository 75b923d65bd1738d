import * as t from 'io-ts';
import { SessionIdCodec } from '../session-id.codec.js';

/** UNBOUND: the server let go of session `session`. */
export const UnboundCodec = t.readonly(t.type({ type: t.literal('unbound'), session: SessionIdCodec }), 'Unbound');
export type Unbound = t.TypeOf<typeof UnboundCodec>;
