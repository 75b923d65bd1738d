import * as t from 'io-ts';

/** PING: keepalive; the server echoes the timestamp in PONG. */
export const PingCodec = t.readonly(t.type({ type: t.literal('ping'), timestamp: t.number }), 'Ping');
export type Ping = t.TypeOf<typeof PingCodec>;
