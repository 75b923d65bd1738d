import * as t from 'io-ts';
import { NatCodec } from '../changeset.codec.js';
import { errorCodes } from '../error-codes.js';
import { SessionIdCodec } from '../session-id.codec.js';

const CategoryCodec = t.keyof({
  transient: null,
  session: null,
  connection: null,
  auth: null,
  permission: null,
  clientReset: null,
  protocol: null,
});

/**
 * ERROR: what went wrong, for one session (`session` set) or for the whole socket. A server
 * may name its own `backoffMs` before the client reconnects.
 */
export const ErrorMessageCodec = t.readonly(
  t.intersection([
    t.type({
      type: t.literal('error'),
      code: t.keyof(Object.fromEntries(Object.keys(errorCodes).map((k) => [k, null])) as Record<keyof typeof errorCodes, null>),
      category: CategoryCodec,
      isFatal: t.boolean,
      message: t.string,
      tryAgain: t.boolean,
    }),
    t.partial({ session: SessionIdCodec, backoffMs: NatCodec }),
  ]),
  'Error',
);
export type ErrorMessage = t.TypeOf<typeof ErrorMessageCodec>;
