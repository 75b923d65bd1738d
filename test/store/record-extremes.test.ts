/**
 * The store never appends a record its reader would refuse, at the edges too: every record
 * kind round-trips through its bytes with extreme values (safe-integer maxima, hostile stamps,
 * odd strings), what the store builds itself (clock readings, client versions) is refused up
 * front where it would leave the readable range, and a realm file fed extreme downloads reads
 * back exactly what it applied.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Changeset, Hlc, Operation, ServerChangeset } from '../../src/protocol/changeset.codec.js';
import type { Json } from '../../src/protocol/json.codec.js';
import { HLC_MAX, MAX_HLC_COUNTER } from '../../src/store/hlc.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { decodeStoreRecord, encodeStoreRecord, storeRecordProblem, type StoreRecord } from '../../src/store/store-records.js';
import { useTempDir } from './temp-dir.js';
import { decodedChangesets } from '../support/decoded-changesets.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const tempDir = useTempDir('record-extremes');
const MAX = Number.MAX_SAFE_INTEGER;

/** Naturals with their edges weighted in: 0, the HLC counter's bound, the safe maximum. */
const nat = fc.oneof(fc.nat(1_000), fc.constantFrom(0, 1, MAX_HLC_COUNTER, MAX_HLC_COUNTER + 1, MAX - 1, MAX), fc.maxSafeNat());
const text = fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', '\u2028', '\ud800', '"\\', '\u0000'));
const name = fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), fc.constantFrom('__proto__', '\ud800', '\u0000'));
/** JSON as the protocol carries it (no -0: JSON cannot tell it from 0), numbers at their edges included. */
const json: fc.Arbitrary<Json> = fc
  .oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(Number.MAX_VALUE, Number.MIN_VALUE, MAX, -MAX, 1e-300, '\ud800'))
  .map((v) => JSON.parse(JSON.stringify(v)) as Json);
const hlc: fc.Arbitrary<Hlc> = fc.record({ wall: nat, counter: nat });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ op: fc.constant('put' as const), type: name, id: name, fields: fc.dictionary(text, json, { maxKeys: 3 }) }),
  fc.record({ op: fc.constant('delete' as const), type: name, id: name }),
);
const changeset: fc.Arbitrary<Changeset> = fc.record({ clientVersion: nat, origin: name, hlc, ops: fc.array(operation, { maxLength: 3 }) });
const serverChangeset: fc.Arbitrary<ServerChangeset> = fc.record({ clientVersion: nat, origin: name, hlc, ops: fc.array(operation, { maxLength: 3 }), serverVersion: nat });
const stamp = fc.tuple(nat, nat, name, nat);

const documentEntry = fc.record({ type: name, id: name, fields: fc.array(fc.tuple(text, json, stamp), { maxLength: 3 }), tombstone: fc.option(stamp, { nil: null }) });

const records: Record<StoreRecord['kind'], fc.Arbitrary<StoreRecord>> = {
  header: fc.record({ kind: fc.constant('header' as const), format: fc.constant(1 as const), fileIdent: name }),
  local: fc.record({ kind: fc.constant('local' as const), changeset, serverVersion: nat }),
  remote: fc.record({
    kind: fc.constant('remote' as const),
    changesets: fc.array(serverChangeset, { maxLength: 3 }),
    cursor: fc.record({ serverVersion: nat, clientVersion: nat }),
    receivedBytes: nat,
    downloadableBytes: nat,
    hlc,
  }),
  state: fc.record({ kind: fc.constant('state' as const), documents: fc.array(documentEntry, { maxLength: 3 }), receivedBytes: nat, downloadableBytes: nat, hlc }),
  ack: fc.record({ kind: fc.constant('ack' as const), clientVersion: nat, serverVersion: nat }),
  epoch: fc.record({ kind: fc.constant('epoch' as const), epoch: name }),
  compensation: fc.record({ kind: fc.constant('compensation' as const), clientVersions: fc.array(nat, { maxLength: 4 }) }),
  snapshot: fc.record({
    kind: fc.constant('snapshot' as const),
    format: fc.constant(1 as const),
    fileIdent: name,
    clientVersion: nat,
    hlc,
    epoch: fc.option(name, { nil: null }),
    upload: fc.record({ clientVersion: nat, serverVersion: nat }),
    download: fc.record({ serverVersion: nat, clientVersion: nat }),
    progress: fc.record({ uploadTransferable: nat, uploadTransferred: nat, downloadTransferred: nat, downloadableBytes: nat }),
    documents: fc.array(documentEntry, { maxLength: 3 }),
    pending: fc.array(fc.record({ changeset, serverVersion: nat }), { maxLength: 2 }),
    base: fc.array(documentEntry, { maxLength: 2 }),
    baseAbsent: fc.array(fc.tuple(name, name), { maxLength: 2 }),
  }),
};

describe('store records at the edges', () => {
  for (const [kind, arbitrary] of Object.entries(records)) {
    it(`${kind}: decode(encode(x)) is x for extreme values`, () => {
      const runs = 300;
      fc.assert(
        fc.property(arbitrary, (record) => {
          const decoded = decodeStoreRecord(encodeStoreRecord(record));
          expect(E.isRight(decoded) ? decoded.right : decoded.left).toEqual(record);
        }),
        { numRuns: runs, seed },
      );
      console.log(`record round trip, ${kind}: ${runs} records with extreme values, seed ${seed}`);
    });
  }

  it('what the store builds itself past the readable range (clock readings, client versions) is refused before it is written', () => {
    const beyond = fc.oneof(nat, fc.constantFrom(2 ** 53, 2 ** 53 + 2, 2 ** 60, Number.MAX_VALUE));
    const runs = 500;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ kind: fc.constant('local' as const), changeset: fc.record({ clientVersion: beyond, origin: name, hlc: fc.record({ wall: beyond, counter: beyond }), ops: fc.constant([]) }), serverVersion: nat }),
          fc.record({ kind: fc.constant('remote' as const), changesets: fc.constant([]), cursor: fc.constant({ serverVersion: 1, clientVersion: 0 }), receivedBytes: nat, downloadableBytes: nat, hlc: fc.record({ wall: beyond, counter: beyond }) }),
        ),
        (record) => {
          // Either refused up front, or readable back as it is: never appended and then refused.
          if (storeRecordProblem(record as StoreRecord) !== undefined) return void refused++;
          const decoded = decodeStoreRecord(encodeStoreRecord(record as StoreRecord));
          expect(E.isRight(decoded) ? decoded.right : decoded.left).toEqual(record);
        },
      ),
      { numRuns: runs, seed },
    );
    console.log(`records built past the range: ${runs} runs, ${refused} refused up front, the rest read back; seed ${seed}`);
  });

  it('a realm file fed extreme downloads (hostile stamps, versions at the safe maximum) reads back what it applied', () => {
    const FOREIGN = 'f0f0f0f0f0f0f0f0';
    const remoteHlc = fc.oneof(fc.record({ wall: fc.nat(10), counter: fc.nat(10) }), fc.constantFrom({ wall: MAX, counter: MAX }, { wall: MAX, counter: 0 }, { wall: 1, counter: MAX }, HLC_MAX));
    const fields = fc.dictionary(fc.constantFrom('a', 'b'), json, { minKeys: 1, maxKeys: 2 });
    const op: fc.Arbitrary<Operation> = fc.oneof(
      fc.record({ op: fc.constant('put' as const), type: fc.constant('T'), id: fc.constantFrom('1', '2'), fields }),
      fc.record({ op: fc.constant('delete' as const), type: fc.constant('T'), id: fc.constantFrom('1', '2') }),
    );
    type Step = { kind: 'write'; ops: Operation[] } | { kind: 'download'; hlc: Hlc; ops: Operation[]; jump: boolean } | { kind: 'ack' } | { kind: 'compact' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), ops: fc.array(op, { minLength: 1, maxLength: 3 }) }),
      fc.record({ kind: fc.constant('download' as const), hlc: remoteHlc, ops: fc.array(op, { maxLength: 2 }), jump: fc.boolean() }),
      fc.record({ kind: fc.constant('ack' as const) }),
      fc.record({ kind: fc.constant('compact' as const) }),
    );
    const runs = 100;
    let hostile = 0;
    let n = 0;
    fc.assert(
      fc.property(fc.array(step, { maxLength: 20 }), fc.oneof(fc.nat(10), fc.constant(MAX)), (steps, wall) => {
        const path = join(tempDir(), `x${n++}.realm`);
        const realm = RealmFile.open({ path, now: () => wall });
        let serverVersion = 0;
        let foreign = 0;
        for (const s of steps) {
          if (s.kind === 'write') realm.write((tx) => s.ops.forEach((o) => (o.op === 'put' ? tx.put(o.type, o.id, o.fields) : tx.delete(o.type, o.id))));
          else if (s.kind === 'ack') {
            if (realm.clientVersion > realm.cursors.upload.clientVersion) realm.acknowledgeUpload(realm.cursors.upload.clientVersion + 1);
          } else if (s.kind === 'compact') realm.compact();
          else {
            if (s.hlc.counter > MAX_HLC_COUNTER) hostile++;
            // Server versions may sit at the top of the safe range: a history that long is not real, but readable.
            serverVersion = s.jump && serverVersion < MAX - 10 ? MAX - 10 : serverVersion + 1;
            const changesets: ServerChangeset[] = [{ clientVersion: ++foreign, origin: FOREIGN, hlc: s.hlc, ops: s.ops, serverVersion }];
            realm.integrateDownload(decodedChangesets(changesets), { serverVersion, clientVersion: realm.cursors.download.clientVersion }, s.jump ? MAX : 0);
          }
        }
        const live = {
          clientVersion: realm.clientVersion,
          cursors: realm.cursors,
          progress: realm.progress,
          pending: realm.pendingChangesets(0),
          documents: realm.snapshotDocuments(),
        };
        realm.close();
        const reopened = RealmFile.open({ path });
        try {
          expect(reopened.openReport).toEqual({ truncatedBytes: 0, refusedRecords: [], restampedChangesets: 0 });
          expect({
            clientVersion: reopened.clientVersion,
            cursors: reopened.cursors,
            progress: reopened.progress,
            pending: reopened.pendingChangesets(0),
            documents: reopened.snapshotDocuments(),
          }).toEqual(live);
        } finally {
          reopened.close();
        }
      }),
      { numRuns: runs, seed },
    );
    console.log(`realm file with extreme downloads: ${runs} runs, ${hostile} downloads with a counter beyond ${MAX_HLC_COUNTER}, all read back; seed ${seed}`);
  });
});
