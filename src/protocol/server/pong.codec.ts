import * as t from 'io-ts';

/** PONG: the answer to PING, with its timestamp. */
export const PongCodec = t.readonly(t.type({ type: t.literal('pong'), timestamp: t.number }), 'Pong');
export type Pong = t.TypeOf<typeof PongCodec>;
