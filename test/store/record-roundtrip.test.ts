/**
 * The realm file appends each record without decoding it back (RealmFile.append): its inputs
 * are checked where they enter. These tests hold it to what that decode used to guarantee —
 * what a commit applied in memory is exactly what a reopen reads from the file.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Operation, ServerChangeset } from '../../src/protocol/changeset.codec.js';
import { MAX_JSON_DEPTH, type Json } from '../../src/protocol/json.codec.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { InvalidInputError } from '../../src/store/store-errors.js';
import { useTempDir } from './temp-dir.js';
import { decodedChangesets } from '../support/decoded-changesets.js';
import { decodedDocuments } from '../support/decoded-documents.js';

const tempDir = useTempDir('record-roundtrip');
// Printed, so a failure replays: FC_SEED=<seed>.
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

/** The document keys the steps below write (`key`), as `[type, id]`. */
const KEYS: ReadonlyArray<readonly [string, string]> = ['T', 'U'].flatMap((type) => ['1', '2', '3', '__proto__'].map((id) => [type, id] as const));

/** Everything a reader or the sync side can observe of a realm file, and the `state` documents it holds staged. */
function view(realm: RealmFile): unknown {
  return {
    fileIdent: realm.fileIdent,
    clientVersion: realm.clientVersion,
    cursors: realm.cursors,
    progress: realm.progress,
    pending: realm.pendingChangesets(0),
    documents: realm.snapshotDocuments(),
    bootstrapping: realm.bootstrapping,
    staged: KEYS.map(([type, id]) => [type, id, realm.stagedDocument(type, id)]),
  };
}

const FOREIGN = 'f0f0f0f0f0f0f0f0';
const name = fc.oneof(fc.constantFrom('a', 'b', '__proto__', 'constructor', 'ü', '"q"'), fc.string({ minLength: 1, maxLength: 4 }));
const fields = fc.dictionary(name, fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>, { minKeys: 1, maxKeys: 3 });
const key = fc.record({ type: fc.constantFrom('T', 'U'), id: fc.constantFrom('1', '2', '3', '__proto__') });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ op: fc.constant('put' as const), type: key.map((k) => k.type), id: key.map((k) => k.id), fields }),
  fc.record({ op: fc.constant('delete' as const), type: key.map((k) => k.type), id: key.map((k) => k.id) }),
);

type Step =
  | { readonly kind: 'write'; readonly ops: Operation[] }
  | { readonly kind: 'download'; readonly ops: Operation[][]; readonly echo: boolean; readonly extraKeys: boolean; readonly downloadable: number }
  | { readonly kind: 'state'; readonly documents: StateDocument[]; readonly extraKeys: boolean; readonly downloadable: number }
  | { readonly kind: 'ack' }
  | { readonly kind: 'epoch'; readonly epoch: string };

/** A document of a `state` frame, its stamps as offsets from the run's wall (own: stamped by the file itself, an echo). */
interface StateDocument {
  readonly key: { readonly type: string; readonly id: string };
  readonly fields: ReadonlyArray<readonly [string, Json, number, boolean]>;
  readonly tombstone: number | null;
}
const stateDocument: fc.Arbitrary<StateDocument> = fc.record({
  key,
  fields: fc.array(fc.tuple(name, fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, fc.integer({ min: -5, max: 5 }), fc.boolean()), { maxLength: 3 }),
  tombstone: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), ops: fc.array(operation, { minLength: 1, maxLength: 4 }) }),
  fc.record({
    kind: fc.constant('download' as const),
    ops: fc.array(fc.array(operation, { maxLength: 3 }), { maxLength: 3 }),
    echo: fc.boolean(),
    extraKeys: fc.boolean(),
    downloadable: fc.nat(10_000),
  }),
  fc.record({ kind: fc.constant('state' as const), documents: fc.array(stateDocument, { maxLength: 4 }), extraKeys: fc.boolean(), downloadable: fc.nat(10_000) }),
  fc.record({ kind: fc.constant('ack' as const) }),
  fc.record({ kind: fc.constant('epoch' as const), epoch: fc.constantFrom('e1', 'e2') }),
);

describe('realm file: what a commit applies is what a reopen reads', () => {
  it('for any sequence of writes, downloads (echoes, unknown wire keys), state frames, acknowledgements and epochs', () => {
    // Before the run: a failure's report then names the seed to replay, as fast-check's does.
    console.log(`record round trip of random step sequences: 150 runs, seed ${seed} (FC_SEED=${seed} replays)`);
    let n = 0;
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), fc.integer({ min: 1, max: 2_000_000_000_000 }), (steps, wall) => {
        const path = join(tempDir(), `r${n++}.realm`);
        const realm = RealmFile.open({ path, now: () => wall });
        let serverVersion = 0;
        let foreignVersion = 0;
        let echoed = 0;
        for (const s of steps) {
          if (s.kind === 'write') realm.write((tx) => s.ops.forEach((op) => (op.op === 'put' ? tx.put(op.type, op.id, op.fields) : tx.delete(op.type, op.id))));
          else if (s.kind === 'epoch') realm.setEpoch(s.epoch);
          else if (s.kind === 'state') {
            const documents = s.documents.map(({ key: { type, id }, fields, tombstone }) => ({
              type,
              id,
              fields: fields.map(([field, value, offset, own]) => [field, value, [Math.max(0, wall + offset), 0, own ? realm.fileIdent : FOREIGN, 0]]),
              tombstone: tombstone === null ? null : [Math.max(0, wall + tombstone), 1, FOREIGN, 0],
              // A wire object may carry more than the codec reads: it must not reach the file.
              ...(s.extraKeys ? { extra: 'dropped' } : {}),
            }));
            realm.integrateState(decodedDocuments(documents), s.downloadable);
          }
          else if (s.kind === 'ack') {
            const next = Math.min(realm.clientVersion, realm.cursors.upload.clientVersion + 1);
            if (next > realm.cursors.upload.clientVersion) realm.acknowledgeUpload(next);
          } else {
            const changesets: ServerChangeset[] = s.ops.map((ops) => {
              const changeset = { clientVersion: ++foreignVersion, origin: FOREIGN, hlc: { wall: wall + foreignVersion, counter: 1 }, ops, serverVersion: ++serverVersion };
              // A wire object may carry more than the codec reads: it must not reach the file.
              return s.extraKeys ? ({ ...changeset, extra: 'dropped', ops: ops.map((op) => ({ ...op, also: 1 })) } as ServerChangeset) : changeset;
            });
            const echo = s.echo ? realm.pendingChangesets(echoed)[0] : undefined;
            if (echo !== undefined) {
              changesets.push({ ...echo, serverVersion: ++serverVersion });
              echoed = echo.clientVersion;
            }
            realm.integrateDownload(decodedChangesets(changesets), { serverVersion, clientVersion: echoed }, s.downloadable);
          }
        }
        const live = view(realm);
        realm.close();
        const reopened = RealmFile.open({ path });
        try {
          expect(view(reopened)).toEqual(live);
        } finally {
          reopened.close();
        }
      }),
      { numRuns: 150, seed },
    );
  });

  it(`a put nested deeper than the protocol's ${MAX_JSON_DEPTH} levels throws where it is made and writes nothing; one at the limit reopens`, () => {
    const nest = (depth: number): Json => {
      let value: Json = 1;
      for (let i = 0; i < depth; i++) value = [value];
      return value;
    };
    const path = join(tempDir(), 'deep.realm');
    const realm = RealmFile.open({ path });
    expect(() => realm.write((tx) => tx.put('T', 'x', { v: nest(MAX_JSON_DEPTH + 1) }))).toThrow(InvalidInputError);
    expect(realm.clientVersion).toBe(0);
    realm.write((tx) => tx.put('T', 'y', { v: nest(MAX_JSON_DEPTH) }));
    realm.close();
    const reopened = RealmFile.open({ path });
    expect(reopened.objectForPrimaryKey('T', 'y')).toEqual({ v: nest(MAX_JSON_DEPTH) });
    expect(reopened.clientVersion).toBe(1);
    reopened.close();
  });
});
