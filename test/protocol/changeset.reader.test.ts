import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changesetShapes, ChangesetCodec, readableErrors, ServerChangesetCodec } from '../../src/protocol/index.js';
import { readChangeset, readServerChangeset } from '../../src/protocol/changeset.reader.js';
import { changeset } from './arbitraries.js';
import { mutated } from './mutations.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RUNS ?? 1_000);

const serverChangeset = fc.tuple(changeset, fc.nat({ max: 1_000_000 })).map(([c, serverVersion]) => ({ ...c, serverVersion }));

describe('changeset readers', () => {
  const cases = [
    { name: 'Changeset', valid: changeset as fc.Arbitrary<unknown>, read: readChangeset, shape: changesetShapes.ChangesetShape, codec: ChangesetCodec },
    { name: 'ServerChangeset', valid: serverChangeset as fc.Arbitrary<unknown>, read: readServerChangeset, shape: changesetShapes.ServerChangesetShape, codec: ServerChangesetCodec },
  ] as const;

  for (const { name, valid, read, shape, codec } of cases) {
    it(`${name}: the reader accepts every valid value, and accepts nothing the composed codec refuses, giving what it gives`, () => {
      let accepted = 0;
      let refusedByBoth = 0;
      let leftToCodec = 0;
      fc.assert(
        fc.property(fc.oneof(valid, mutated(valid), mutated(mutated(valid))), (u) => {
          const fast = read(u);
          const slow = shape.decode(u);
          const viaCodec = codec.decode(u);
          if (fast !== undefined) {
            accepted++;
            expect(slow._tag).toBe('Right');
            // Equal values; a prototype-less input object may come back as a plain one.
            if (slow._tag === 'Right') expect(fast).toEqual(slow.right);
          } else if (slow._tag === 'Left') refusedByBoth++;
          else leftToCodec++;
          // Through the codec, the answer (and a refusal's readable path) is the composed codec's.
          expect(viaCodec._tag).toBe(slow._tag);
          if (viaCodec._tag === 'Right' && slow._tag === 'Right') expect(viaCodec.right).toEqual(slow.right);
          if (viaCodec._tag === 'Left' && slow._tag === 'Left') expect(readableErrors(viaCodec.left)).toBe(readableErrors(slow.left));
        }),
        { numRuns, seed },
      );
      fc.assert(fc.property(valid, (u) => read(u) !== undefined), { numRuns: Math.min(numRuns, 300), seed });
      console.log(`${name} reader: ${numRuns} runs, seed ${seed}: ${accepted} accepted, ${refusedByBoth} refused by both, ${leftToCodec} left to the codec`);
      expect(refusedByBoth).toBeGreaterThan(0);
    });
  }

  it('keeps the readable path of a refusal inside a message', () => {
    const bad = { clientVersion: 1, origin: 'o', hlc: { wall: 1, counter: 0 }, ops: [{ op: 'put', type: 'T', id: 'i', fields: { a: 1 } }, { op: 'move', type: 'T', id: 'i' }] };
    const decoded = ChangesetCodec.decode(bad);
    expect(decoded._tag).toBe('Left');
    if (decoded._tag === 'Left') expect(readableErrors(decoded.left)).toMatch(/^ops\.1: expected/);
  });
});
