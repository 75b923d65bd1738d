import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changesetShapes, ChangesetCodec, readableErrors, ServerChangesetCodec } from '../../src/protocol/index.js';
import { readChangeset, readServerChangeset } from '../../src/protocol/changeset.reader.js';
import { changeset } from './arbitraries.js';
import { assertReaderAgrees } from './reader-agreement.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RUNS ?? 1_000);

const serverChangeset = fc.tuple(changeset, fc.nat({ max: 1_000_000 })).map(([c, serverVersion]) => ({ ...c, serverVersion }));

describe('changeset readers', () => {
  const cases = [
    { name: 'Changeset', valid: changeset as fc.Arbitrary<unknown>, read: readChangeset, shape: changesetShapes.ChangesetShape, codec: ChangesetCodec },
    { name: 'ServerChangeset', valid: serverChangeset as fc.Arbitrary<unknown>, read: readServerChangeset, shape: changesetShapes.ServerChangesetShape, codec: ServerChangesetCodec },
  ] as const;

  for (const c of cases) {
    it(`${c.name}: the reader accepts every valid value, and accepts nothing the composed codec refuses, giving what it gives`, () => {
      assertReaderAgrees(c, numRuns, seed);
    });
  }

  it('keeps the readable path of a refusal inside a message', () => {
    const bad = { clientVersion: 1, origin: 'o', hlc: { wall: 1, counter: 0 }, ops: [{ op: 'put', type: 'T', id: 'i', fields: { a: 1 } }, { op: 'move', type: 'T', id: 'i' }] };
    const decoded = ChangesetCodec.decode(bad);
    expect(decoded._tag).toBe('Left');
    if (decoded._tag === 'Left') expect(readableErrors(decoded.left)).toMatch(/^ops\.1: expected/);
  });
});
