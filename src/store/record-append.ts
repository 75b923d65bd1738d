/**
 * The append path of a realm file: every state change is one record, checked against the
 * state, appended to the log, then applied in memory — in that order, so that nothing takes
 * effect that is not in the file.
 */
import type { DocumentKey } from './document-set.js';
import type { RealmState } from './realm-state.js';
import type { RecordLog } from './record-log.js';
import { InvalidInputError } from './store-errors.js';
import { encodeStoreRecord, storeRecordProblem, type StoreRecord } from './store-records.js';

/**
 * How an appended record reaches stable storage. `synced`: per the log's durability
 * (`RecordLog.append`). `lazily`: without a sync of its own (`RecordLog.appendLazily`), with the
 * next synced record. Lazily only for a record that changes no document and no client version,
 * sync bookkeeping whose loss at power failure costs a repeated transfer, never data: losing it
 * also loses every record after it (the log is cut at its first missing record), so nothing
 * durable can depend on one that is gone. `now`: fdatasynced before the append returns, whatever
 * the durability (`RecordLog.appendDurably`).
 */
export type AppendSync = 'synced' | 'lazily' | 'now';

/**
 * Appends `record` to `log` (after checking it fits `state`) and applies it to `state`; returns
 * the documents it changed. `payload` is its encoding when the caller built it already
 * (`encodeStoreRecord` otherwise).
 *
 * What is applied must be what a reopen will read. That is not checked here by decoding the
 * bytes back (a second parse and a full codec walk per commit): every part of a record is
 * checked once, where it enters, against the same codecs' rules — field values by the
 * transaction (JSON values within the protocol's depth), downloaded changesets by their codec
 * (`DecodedServerChangesets`), versions, cursors and counts by the callers — and the rest
 * (idents, HLC readings, record kinds) is built by the realm file from values of those types.
 * test/store/record-roundtrip.test.ts checks the property itself: every record a realm file
 * appends decodes to what it applied.
 */
export function appendRecord(log: RecordLog, state: RealmState, record: StoreRecord, sync: AppendSync, payload: Buffer = encodeStoreRecord(record)): DocumentKey[] {
  const problem = state.check(record) ?? storeRecordProblem(record);
  if (problem !== undefined) throw new InvalidInputError(`cannot commit a ${record.kind} record: ${problem}`);
  if (sync === 'lazily') log.appendLazily([payload]);
  else if (sync === 'now') log.appendDurably([payload]);
  else log.append([payload]);
  return state.apply(record);
}
