import * as t from 'io-ts';
import { NatCodec, NonEmptyStringCodec } from '../changeset.codec.js';
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

/** The most writes one `compensatingWrite` may list: a server lists at most 100 and counts the rest. */
export const MAX_COMPENSATING_WRITES = 1_000;

/** One write a compensating write refused: the document and why. */
const RefusedWriteCodec = t.readonly(t.exact(t.type({ type: NonEmptyStringCodec, id: NonEmptyStringCodec, reason: t.string })), 'RefusedWrite');

/**
 * What a `compensatingWrite` error refused (PROTOCOL.md "Compensating writes"): client versions
 * `from` through `through`, and the documents they wrote (at most {@link MAX_COMPENSATING_WRITES}
 * listed, `omittedWrites` more).
 */
export const CompensatingWriteCodec = t.readonly(
  t.exact(
    t.type({
      from: NatCodec,
      through: NatCodec,
      writes: t.refinement(t.readonlyArray(RefusedWriteCodec), (writes) => writes.length <= MAX_COMPENSATING_WRITES, `at most ${MAX_COMPENSATING_WRITES} writes`),
      omittedWrites: NatCodec,
    }),
  ),
  'CompensatingWrite',
);
/** A decoded {@link CompensatingWriteCodec}. */
export type CompensatingWrite = t.TypeOf<typeof CompensatingWriteCodec>;

/**
 * ERROR: what went wrong, for one session (`session` set) or for the whole socket. A server
 * may name its own `backoffMs` before the client reconnects; a `compensatingWrite` error says
 * what it refused.
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
    t.partial({ session: SessionIdCodec, backoffMs: NatCodec, compensatingWrite: CompensatingWriteCodec }),
  ]),
  'Error',
);
export type ErrorMessage = t.TypeOf<typeof ErrorMessageCodec>;
