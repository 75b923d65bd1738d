/**
 * The property every hand-written reader of the protocol holds against its io-ts shape: it
 * accepts every valid value and nothing the composed shape refuses, giving what the shape gives
 * (or leaves the value to the codec), and through the codec the answer and a refusal's readable
 * path are the composed shape's. One check, run for each reader.
 */
import fc from 'fast-check';
import type * as t from 'io-ts';
import { expect } from 'vitest';
import { readableErrors } from '../../src/protocol/index.js';
import { mutated } from './mutations.js';

/** A reader and what it must agree with. */
export interface ReaderCase {
  readonly name: string;
  /** Valid values (mutated ones are made from them). */
  readonly valid: fc.Arbitrary<unknown>;
  /** More inputs besides the valid and mutated ones. */
  readonly extra?: fc.Arbitrary<unknown>;
  readonly read: (u: unknown) => unknown;
  readonly shape: t.Decoder<unknown, unknown>;
  readonly codec: t.Decoder<unknown, unknown>;
}

/** Asserts the agreement over `numRuns` inputs from `seed`, prints what it covered and returns the counts. */
export function assertReaderAgrees({ name, valid, extra, read, shape, codec }: ReaderCase, numRuns: number, seed: number): { accepted: number; refusedByBoth: number; leftToCodec: number } {
  let accepted = 0;
  let refusedByBoth = 0;
  let leftToCodec = 0;
  const inputs = extra === undefined ? fc.oneof(valid, mutated(valid), mutated(mutated(valid))) : fc.oneof(valid, mutated(valid), mutated(mutated(valid)), extra);
  fc.assert(
    fc.property(inputs, (u) => {
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
      expect(viaCodec._tag).toBe(slow._tag);
      if (viaCodec._tag === 'Right' && slow._tag === 'Right') expect(viaCodec.right).toEqual(slow.right);
      if (viaCodec._tag === 'Left' && slow._tag === 'Left') expect(readableErrors(viaCodec.left)).toBe(readableErrors(slow.left));
    }),
    { numRuns, seed },
  );
  fc.assert(fc.property(valid, (u) => read(u) !== undefined), { numRuns: Math.min(numRuns, 300), seed });
  console.log(`${name} reader: ${numRuns} runs, seed ${seed}: ${accepted} accepted, ${refusedByBoth} refused by both, ${leftToCodec} left to the codec`);
  expect(refusedByBoth).toBeGreaterThan(0);
  expect(accepted).toBeGreaterThan(0);
  return { accepted, refusedByBoth, leftToCodec };
}
