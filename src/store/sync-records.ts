/**
 * The records the sync side of a realm file appends, built from a call's arguments and checked
 * against the state first: the acknowledgement of uploaded changesets, and an integrated
 * DOWNLOAD. Each builder returns `undefined` when the call would change nothing, and throws,
 * before anything is written, when its arguments do not fit the file.
 */
import { DownloadCursorCodec, type DownloadCursor } from '../protocol/cursors.codec.js';
import type { DecodedServerChangesets } from '../protocol/decoded-changesets.codec.js';
import { receive } from './hlc.js';
import { isNat, safeJson } from './realm-arguments.js';
import type { RealmState } from './realm-state.js';
import { encodeRemoteChangesets, encodeRemoteRecord } from './remote-record.js';
import { CursorRegressionError, InvalidInputError, StoreError } from './store-errors.js';
import type { AckRecord, RemoteRecord } from './store-records.js';

/**
 * The record saying the server integrated local changesets up to `clientVersion`, or
 * `undefined` if they are acknowledged already (acknowledgements only move forward).
 */
export function acknowledgementRecord(state: RealmState, clientVersion: number): AckRecord | undefined {
  if (!isNat(clientVersion)) throw new InvalidInputError(`acknowledgeUpload: ${String(clientVersion)} is not a client version`);
  if (clientVersion > state.clientVersion) {
    throw new InvalidInputError(`acknowledgeUpload(${clientVersion}): this file's last changeset is ${state.clientVersion}`);
  }
  if (clientVersion <= state.upload.clientVersion) return undefined;
  const entry = state.pendingEntry(clientVersion);
  if (entry === undefined) throw new StoreError(`acknowledgeUpload(${clientVersion}): no pending changeset has that version (internal inconsistency)`);
  return { kind: 'ack', clientVersion, serverVersion: entry.serverVersion };
}

/** One DOWNLOAD as `RealmFile.integrateDownload` is given it. */
export interface Download {
  readonly changesets: DecodedServerChangesets;
  readonly cursor: DownloadCursor;
  /** The bytes still downloadable; `undefined` keeps the last value reported. */
  readonly downloadableBytes: number | undefined;
}

/** The clock a download's stamps are received on (see `receive` in `hlc.ts`). */
export interface ReceivingClock {
  /** The physical clock in ms. */
  readonly now: () => number;
  /** How far ahead of `now` a received stamp may drag the file's clock. */
  readonly maxLeadMs: number;
}

/** A `remote` record and its payload (built with one serialization of each changeset, see `remote-record.ts`). */
export interface EncodedRemoteRecord {
  readonly record: RemoteRecord;
  readonly payload: Buffer;
}

/**
 * The record of `download` for the file `fileIdent` whose state is `state`: the changesets of
 * other files (this file's echoes are applied already), the cursor after them, the bytes still
 * downloadable. `undefined` if it changes nothing; throws if the cursor moves back or names a
 * changeset this file never wrote.
 */
export function downloadRecord(state: RealmState, fileIdent: string, download: Download, clock: ReceivingClock): EncodedRemoteRecord | undefined {
  const { changesets, cursor, downloadableBytes } = download;
  // The type says the changesets were decoded (`DecodedServerChangesetsCodec`), so they are not
  // validated again; only a caller outside the type system can pass something else.
  if (!Array.isArray(changesets)) throw new InvalidInputError('integrateDownload: changesets must be an array');
  if (!DownloadCursorCodec.is(cursor)) throw new InvalidInputError(`integrateDownload: bad download cursor ${safeJson(cursor)}`);
  if (downloadableBytes !== undefined && !isNat(downloadableBytes)) throw new InvalidInputError(`integrateDownload: downloadableBytes ${String(downloadableBytes)} is not a byte count`);
  const current = state.download;
  if (cursor.serverVersion < current.serverVersion || cursor.clientVersion < current.clientVersion) {
    throw new CursorRegressionError(`download cursor would move back from ${safeJson(current)} to ${safeJson(cursor)}`);
  }
  if (cursor.clientVersion > state.clientVersion) {
    throw new InvalidInputError(`integrateDownload: the cursor names client version ${cursor.clientVersion}, but this file's last changeset is ${state.clientVersion}`);
  }
  const downloadable = downloadableBytes ?? state.downloadable;
  // A staged bootstrap makes even an empty, unmoving DOWNLOAD a change: it applies the state.
  if (changesets.length === 0 && !state.bootstrapping && downloadable === state.downloadable && cursor.serverVersion === current.serverVersion && cursor.clientVersion === current.clientVersion) {
    return undefined;
  }
  const encoded = encodeRemoteChangesets(changesets, fileIdent);
  const physical = clock.now();
  const record: RemoteRecord = {
    kind: 'remote',
    changesets: encoded.remote,
    cursor: { serverVersion: cursor.serverVersion, clientVersion: cursor.clientVersion },
    receivedBytes: encoded.receivedBytes,
    downloadableBytes: downloadable,
    hlc: encoded.remote.reduce((last, c) => receive(last, c.hlc, physical, clock.maxLeadMs), state.hlc),
  };
  return { record, payload: encodeRemoteRecord(record, encoded.json) };
}
