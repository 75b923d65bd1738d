/**
 * Server changesets known to have been decoded by `ServerChangesetCodec`: the brand that lets
 * the store integrate a DOWNLOAD without validating its changesets again. Only decoding makes
 * one — `decodeServerMessage` for every DOWNLOAD, or this codec's own `decode` — so a value of
 * the type says, where a comment used to, that its changesets were checked.
 */
import * as t from 'io-ts';
import { ServerChangesetCodec, type ServerChangeset } from './changeset.codec.js';

/** Not exported: no value can claim the brand but through the codec's cast below. */
declare const decodedByCodec: unique symbol;

/**
 * Changesets as `ServerChangesetCodec` decoded them (unknown keys dropped, every field within the
 * protocol's rules). A plain `readonly ServerChangeset[]` is not one; this is one where one is
 * asked for.
 */
export type DecodedServerChangesets = readonly ServerChangeset[] & { readonly [decodedByCodec]: true };

const ServerChangesetsCodec = t.readonlyArray(ServerChangesetCodec);

/**
 * The codec of a DOWNLOAD's changesets: decodes exactly as `readonlyArray(ServerChangesetCodec)`
 * (same name, so refusals read as before) and brands what it accepts. Encoding takes plain
 * changesets: what is sent need not have been received.
 */
export const DecodedServerChangesetsCodec: t.Type<DecodedServerChangesets, readonly ServerChangeset[], unknown> = new t.Type<
  DecodedServerChangesets,
  readonly ServerChangeset[],
  unknown
>(
  ServerChangesetsCodec.name,
  (u): u is DecodedServerChangesets => ServerChangesetsCodec.is(u),
  // The one place the brand is given: to what the element codec has just accepted.
  (u, context) => ServerChangesetsCodec.validate(u, context) as t.Validation<DecodedServerChangesets>,
  (changesets) => ServerChangesetsCodec.encode(changesets),
);
