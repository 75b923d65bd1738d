import fc from 'fast-check';
import type { Changeset, ClientMessage, Json, EncodableServerMessage } from '../../src/protocol/index.js';
import { errorCodes, type ErrorCode } from '../../src/protocol/index.js';

/** JSON values as the protocol carries them (finite numbers, no -0: JSON cannot tell it from 0). */
export const json: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as Json);

const name = fc.string({ minLength: 1, maxLength: 12 });
const nat = fc.nat({ max: 1_000_000 });
const session = fc.integer({ min: 1, max: 10_000 });

export const changeset: fc.Arbitrary<Changeset> = fc.record({
  clientVersion: nat,
  origin: name,
  hlc: fc.record({ wall: nat, counter: nat }),
  ops: fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('put' as const), type: name, id: name, fields: fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 4 }) }),
      fc.record({ op: fc.constant('delete' as const), type: name, id: name }),
    ),
    { maxLength: 4 },
  ),
});

const cursors = fc.record({
  epoch: fc.string({ maxLength: 8 }),
  upload: fc.record({ clientVersion: nat, serverVersion: nat }),
  download: fc.record({ serverVersion: nat, clientVersion: nat }),
});

export const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record({ type: fc.constant('bind' as const), session, partition: name, token: fc.string() }),
  fc.record({ type: fc.constant('ident' as const), session, fileIdent: name, cursors }, { requiredKeys: ['type', 'session', 'fileIdent'] }),
  fc.record({
    type: fc.constant('upload' as const),
    session,
    changesets: fc.array(changeset, { maxLength: 3 }),
    progress: fc.record({ clientVersion: nat, serverVersion: nat }),
  }),
  fc.record({ type: fc.constant('mark' as const), session, requestId: name }),
  fc.record({ type: fc.constant('unbind' as const), session }),
  fc.record({ type: fc.constant('ping' as const), timestamp: nat }),
);

/** A stamp tuple `[wall, counter, origin, opIndex]`. */
export const stampTuple = fc.tuple(nat, nat, name, nat);

/** A document's state as a snapshot and a `state` message carry it (`DocumentEntry`). */
export const documentEntry = fc.record({
  type: name,
  id: name,
  fields: fc.array(fc.tuple(fc.string({ maxLength: 8 }), json, stampTuple), { maxLength: 4 }),
  tombstone: fc.option(stampTuple, { nil: null }),
});

const code = fc.constantFrom(...(Object.keys(errorCodes) as ErrorCode[]));

/** Server messages as a server sends them: `encodeMessage`'s input, where a DOWNLOAD's changesets are plain (decoding brands them). */
export const serverMessage: fc.Arbitrary<EncodableServerMessage> = fc.oneof(
  fc.record(
    { type: fc.constant('ident' as const), session, fileIdent: name, epoch: fc.string({ maxLength: 8 }), historyRetentionMs: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) },
    { requiredKeys: ['type', 'session', 'fileIdent', 'epoch'] },
  ),
  fc.record({ type: fc.constant('state' as const), session, documents: fc.array(documentEntry, { maxLength: 3 }), downloadableBytes: nat }),
  fc.record({
    type: fc.constant('download' as const),
    session,
    changesets: fc.array(fc.tuple(changeset, nat).map(([c, serverVersion]) => ({ ...c, serverVersion })), { maxLength: 3 }),
    cursors: fc.record({ serverVersion: nat, clientVersion: nat }),
    uploadAck: nat,
    downloadableBytes: nat,
  }),
  fc.record({ type: fc.constant('mark' as const), session, requestId: name }),
  fc.record({ type: fc.constant('unbound' as const), session }),
  fc.record(
    {
      type: fc.constant('error' as const),
      code,
      category: code.map((c) => errorCodes[c].category),
      isFatal: fc.boolean(),
      message: fc.string(),
      tryAgain: fc.boolean(),
      session,
      backoffMs: nat,
    },
    { requiredKeys: ['type', 'code', 'category', 'isFatal', 'message', 'tryAgain'] },
  ),
  fc.record({ type: fc.constant('pong' as const), timestamp: nat }),
);

/**
 * One origin's changesets of `operation`s: client versions 1, 2, 3, … and strictly increasing
 * HLCs over a narrow wall range, so that histories of several origins tie across origins often.
 */
export const originHistory = (
  origin: string,
  operation: fc.Arbitrary<Changeset['ops'][number]>,
  { maxOps, maxChangesets }: { readonly maxOps: number; readonly maxChangesets: number },
): fc.Arbitrary<Changeset[]> =>
  fc.array(fc.tuple(fc.nat(2), fc.array(operation, { minLength: 1, maxLength: maxOps })), { minLength: 1, maxLength: maxChangesets }).map((steps) => {
    let wall = 0;
    let counter = 0;
    return steps.map(([advance, ops], i) => {
      if (advance === 0) counter++;
      else {
        wall += advance;
        counter = 0;
      }
      return { clientVersion: i + 1, origin, hlc: { wall, counter }, ops };
    });
  });
