/**
 * The record of one integrated `state` message (`StateRecordCodec`), built with one JSON
 * serialization of its documents: their progress size (the UTF-8 length of each one's JSON, as
 * the server counts it) and their place in the record's JSON come from the same string.
 */
import type { Hlc } from '../protocol/changeset.codec.js';
import type { DecodedDocumentEntries } from '../protocol/decoded-documents.codec.js';
import type { DocumentEntry, StampTuple } from '../protocol/document-entry.codec.js';
import { receive } from './hlc.js';
import { isNat } from './realm-arguments.js';
import type { RealmState } from './realm-state.js';
import { InvalidInputError } from './store-errors.js';
import type { StateRecord } from './store-records.js';
import type { ReceivingClock } from './sync-records.js';

/** A `state` record and its payload. */
export interface EncodedStateRecord {
  readonly record: StateRecord;
  readonly payload: Buffer;
}

/** The greatest (wall, counter) of `stamp` and `last`. */
function laterReading(last: Hlc, stamp: StampTuple): Hlc {
  const [wall, counter] = stamp;
  return wall > last.wall || (wall === last.wall && counter > last.counter) ? { wall, counter } : last;
}

/**
 * The record merging `documents` (as `decodeServerMessage` decoded a `state` message's) into the
 * file whose state is `state`, with `downloadableBytes` the server still has. `undefined` if it
 * changes nothing (no documents, the same bytes left). The file's clock receives the greatest
 * stamp among them once: its next local stamp beats every one (within `clock.maxLeadMs`).
 */
export function stateRecord(state: RealmState, documents: DecodedDocumentEntries, downloadableBytes: number, clock: ReceivingClock): EncodedStateRecord | undefined {
  // The type says the documents were decoded (`DecodedDocumentEntriesCodec`); only a caller
  // outside the type system can pass something else.
  if (!Array.isArray(documents)) throw new InvalidInputError('integrateState: documents must be an array');
  if (!isNat(downloadableBytes)) throw new InvalidInputError(`integrateState: downloadableBytes ${String(downloadableBytes)} is not a byte count`);
  if (documents.length === 0 && downloadableBytes === state.downloadable) return undefined;
  const entries: DocumentEntry[] = new Array<DocumentEntry>(documents.length);
  let latest: Hlc = { wall: 0, counter: 0 };
  for (let i = 0; i < documents.length; i++) {
    const { type, id, fields, tombstone } = documents[i]!;
    // Its own four keys, in the order the server serializes them (`documentToEntry`).
    entries[i] = { type, id, fields, tombstone };
    for (const field of fields) latest = laterReading(latest, field[2]);
    if (tombstone !== null) latest = laterReading(latest, tombstone);
  }
  // One serialization and one UTF-8 encoding of all the documents: their bytes are its length
  // less the brackets and the commas between them.
  const body = Buffer.from(JSON.stringify(entries), 'utf8');
  const receivedBytes = body.length - 2 - Math.max(0, documents.length - 1);
  const hlc = documents.length === 0 ? state.hlc : receive(state.hlc, latest, clock.now(), clock.maxLeadMs);
  const record: StateRecord = { kind: 'state', documents: entries, receivedBytes, downloadableBytes, hlc };
  const payload = Buffer.concat([
    Buffer.from('{"kind":"state","documents":', 'utf8'),
    body,
    Buffer.from(`,"receivedBytes":${receivedBytes},"downloadableBytes":${downloadableBytes},"hlc":${JSON.stringify(hlc)}}`, 'utf8'),
  ]);
  return { record, payload };
}
