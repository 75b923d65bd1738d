import * as t from 'io-ts';

/** A session's number on its socket, chosen by the client at BIND (a positive integer). */
export const SessionIdCodec = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, 'SessionId');
