import * as t from 'io-ts';
import { readChangeset, readServerChangeset } from './changeset.reader.js';
import { JsonCodec } from './json.codec.js';
import { withReader } from './with-reader.js';

/** A non-negative integer (versions, byte counts, session ids). */
export const NatCodec = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'Nat');

/**
 * A non-empty string: object types, ids and origins as changesets, documents and store records
 * carry them. Not bounded here: what a history or a file already holds (written before the key
 * limits) stays readable. Keys are bounded where they enter (`keys.ts`): the write API, BIND,
 * IDENT and the server's check of each uploaded changeset.
 */
export const NonEmptyStringCodec = t.refinement(t.string, (s) => s.length > 0, 'NonEmptyString');

/**
 * A hybrid logical clock reading: wall-clock milliseconds, and a counter that orders readings
 * within one millisecond (and survives a clock that steps back).
 */
export const HlcCodec = t.readonly(t.exact(t.type({ wall: NatCodec, counter: NatCodec })), 'Hlc');
export type Hlc = t.TypeOf<typeof HlcCodec>;

/** Write fields of one document; fields not named keep their values. */
export const PutCodec = t.readonly(
  t.exact(t.type({ op: t.literal('put'), type: NonEmptyStringCodec, id: NonEmptyStringCodec, fields: t.record(t.string, JsonCodec) })),
  'Put',
);
/** Delete one document: a tombstone that loses to a later put. */
export const DeleteCodec = t.readonly(
  t.exact(t.type({ op: t.literal('delete'), type: NonEmptyStringCodec, id: NonEmptyStringCodec })),
  'Delete',
);
export const OperationCodec = t.union([PutCodec, DeleteCodec], 'Operation');
export type Operation = t.TypeOf<typeof OperationCodec>;

/**
 * One local transaction: its operations in order, the HLC reading of its commit, the file
 * that wrote it (`origin`) and that file's version after it (`clientVersion`, 1, 2, 3, …).
 * Unknown fields are dropped on decode: what the server stores and fans out is only this.
 * Operation `i` is stamped (hlc.wall, hlc.counter, origin, i): the total order that decides,
 * per field, which write wins on every replica.
 */
const ChangesetShape = t.readonly(
  t.exact(
    t.type({
      clientVersion: NatCodec,
      origin: NonEmptyStringCodec,
      hlc: HlcCodec,
      ops: t.readonlyArray(OperationCodec),
    }),
  ),
  'Changeset',
);
export type Changeset = t.TypeOf<typeof ChangesetShape>;

/** A changeset as the server's history holds it: with the server version it was given. */
const ServerChangesetShape = t.readonly(
  t.intersection([ChangesetShape, t.exact(t.type({ serverVersion: NatCodec }))]),
  'ServerChangeset',
);
export type ServerChangeset = t.TypeOf<typeof ServerChangesetShape>;

/** Codec of a `Changeset` (the shape above). */
export const ChangesetCodec: t.Type<Changeset, Changeset, unknown> = withReader(ChangesetShape, readChangeset);
/** Codec of a `ServerChangeset` (the shape above). */
export const ServerChangesetCodec: t.Type<ServerChangeset, ServerChangeset, unknown> = withReader(ServerChangesetShape, readServerChangeset);
/** The composed codecs alone, to hold the readers to them in tests. */
export const changesetShapes = { ChangesetShape, ServerChangesetShape } as const;

/**
 * Payload bytes of a changeset, the unit of progress (docs/SEMANTICS.md §3): the UTF-8 length of
 * its JSON. The same changeset counts the same on client and server.
 */
export function changesetBytes(changeset: Changeset): number {
  return Buffer.byteLength(changesetText(changeset), 'utf8');
}

/** The JSON `changesetBytes` measures: the changeset's own four fields. */
const changesetText = ({ clientVersion, origin, hlc, ops }: Changeset): string => JSON.stringify({ clientVersion, origin, hlc, ops });

/**
 * A server changeset's JSON as `ServerChangesetCodec` encodes it (its fields, then
 * `serverVersion`) and its `changesetBytes`, from one serialization: for those that keep a
 * changeset's text to splice into frames and records (`withChangesetsJson`).
 */
export function serverChangesetJson(changeset: ServerChangeset): { readonly json: string; readonly bytes: number } {
  const text = changesetText(changeset);
  // `text` ends in `}`; a server version is a safe non-negative integer, whose decimal is valid JSON.
  return { json: `${text.slice(0, -1)},"serverVersion":${changeset.serverVersion}}`, bytes: Buffer.byteLength(text, 'utf8') };
}

/**
 * The JSON object of `leading`'s members, then `"changesets"` holding `changesetJson` (texts
 * from `serverChangesetJson`, trusted as such), then `trailing`'s members.
 */
export function withChangesetsJson(leading: object, changesetJson: readonly string[], trailing: object): string {
  const head = JSON.stringify(leading).slice(1, -1);
  const tail = JSON.stringify(trailing).slice(1);
  return `{${head === '' ? '' : `${head},`}"changesets":[${changesetJson.join(',')}]${tail === '}' ? '}' : `,${tail}`}`;
}
