/**
 * The bytes of a `remote` record (one integrated DOWNLOAD), built with one JSON serialization
 * of each changeset instead of three. A DOWNLOAD carries up to a MiB of changesets; each needs
 * its progress size (`changesetBytes`: the UTF-8 length of the JSON of its four own fields) and
 * its place in the record's JSON. Both come from the same string here, so the sizes and the
 * record agree by construction, and the record is the same JSON value `encodeStoreRecord`
 * would produce (only key order may differ, which no reader depends on).
 */
import { serverChangesetJson, withChangesetsJson, type ServerChangeset } from '../protocol/changeset.codec.js';
import type { RemoteRecord } from './store-records.js';

/** What {@link encodeRemoteChangesets} found in a DOWNLOAD's changesets. */
export interface EncodedRemoteChangesets {
  /** The changesets of other files, reduced to their own fields: what the record holds. */
  readonly remote: ServerChangeset[];
  /** The JSON text of each of `remote`, in order. */
  readonly json: string[];
  /** Progress bytes of every changeset given, this file's echoes included (they were transferred). */
  readonly receivedBytes: number;
}

/**
 * Serializes each changeset once: its size counts for all, its JSON is kept for those not
 * written by `ownIdent` (a file's own changesets are applied already and not stored again).
 * The changesets must be decoded already (`ServerChangesetCodec`): nothing is validated here.
 */
export function encodeRemoteChangesets(changesets: readonly ServerChangeset[], ownIdent: string): EncodedRemoteChangesets {
  const remote: ServerChangeset[] = [];
  const json: string[] = [];
  let receivedBytes = 0;
  for (const { clientVersion, origin, hlc, ops, serverVersion } of changesets) {
    const changeset = { clientVersion, origin, hlc, ops, serverVersion };
    const encoded = serverChangesetJson(changeset);
    receivedBytes += encoded.bytes;
    if (origin === ownIdent) continue;
    remote.push(changeset);
    json.push(encoded.json);
  }
  return { remote, json, receivedBytes };
}

/**
 * The payload of `record`, reusing `changesetJson` (the JSON of `record.changesets`, in order,
 * from {@link encodeRemoteChangesets}) instead of serializing the changesets again.
 */
export function encodeRemoteRecord(record: RemoteRecord, changesetJson: readonly string[]): Buffer {
  if (changesetJson.length !== record.changesets.length) throw new Error('encodeRemoteRecord: one JSON text per changeset is needed');
  const { kind, cursor, receivedBytes, downloadableBytes, hlc } = record;
  return Buffer.from(withChangesetsJson({ kind }, changesetJson, { cursor, receivedBytes, downloadableBytes, hlc }), 'utf8');
}
