/**
 * The record of one local transaction: its operations as the file's next changeset, stamped on
 * the file's clock, and refused before anything is written if it is over the size the sync
 * server accepts (a changeset that could never be uploaded must not be committed).
 */
import { changesetBytes, type Changeset, type Operation } from '../protocol/changeset.codec.js';
import { tick } from './hlc.js';
import type { RealmState } from './realm-state.js';
import { InvalidInputError } from './store-errors.js';
import { encodeStoreRecord, type LocalRecord } from './store-records.js';

/** A `local` record and its payload. */
export interface EncodedLocalRecord {
  readonly record: LocalRecord;
  readonly payload: Buffer;
}

/**
 * The record of the next local changeset of the file `fileIdent` whose state is `state`, made of
 * `ops` and stamped with `now()`; throws {@link InvalidInputError} if the changeset is over
 * `maxChangesetBytes` (`changesetBytes`).
 */
export function localRecord(state: RealmState, fileIdent: string, ops: readonly Operation[], now: () => number, maxChangesetBytes: number): EncodedLocalRecord {
  const changeset: Changeset = {
    clientVersion: state.clientVersion + 1,
    origin: fileIdent,
    hlc: tick(state.hlc, now()),
    ops,
  };
  const record: LocalRecord = { kind: 'local', changeset, serverVersion: state.download.serverVersion };
  const payload = encodeStoreRecord(record);
  // The record holds the changeset's JSON, so only a record over the limit needs measuring.
  if (payload.length > maxChangesetBytes) {
    const bytes = changesetBytes(changeset);
    if (bytes > maxChangesetBytes) {
      throw new InvalidInputError(`write(): the changeset is ${bytes} bytes, over the limit of ${maxChangesetBytes} bytes (the sync server's maxChangesetBytes); nothing was written`);
    }
  }
  return { record, payload };
}
