/**
 * `documentKeyInJson` reads a state document's (type, id) from the start of its wire JSON: for
 * any type and id (quotes, backslashes, control characters, astral code points) it gives what a
 * full parse gives, and for JSON that does not start as the server writes it, nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { documentKeyInJson } from '../../../src/server/storage/file/document-key.js';
import { documentToEntry } from '../../../src/store/snapshot.js';

const stamp = { wall: 1, counter: 0, origin: 'o', opIndex: 0 };
const text = fc.string({ unit: 'binary', maxLength: 40 });

describe('documentKeyInJson', () => {
  it('property: gives the type and id a full parse gives, with or without a tombstone', () => {
    let runs = 0;
    fc.assert(
      fc.property(text, text, fc.boolean(), (type, id, deleted) => {
        runs++;
        const doc = deleted ? { fields: {}, tombstone: stamp } : { fields: { [`${type}"x`]: { value: `\\"${id}`, stamp } } };
        const json = Buffer.from(JSON.stringify(documentToEntry(type, id, doc)), 'utf8');
        expect(documentKeyInJson(json)).toEqual({ type, id });
      }),
      { numRuns: 500 },
    );
    console.log(`documentKeyInJson: ${runs} documents of arbitrary type and id`);
  });

  it('gives nothing for JSON that does not start as a document entry does', () => {
    const refused = [
      '',
      '{}',
      '{"id":"a","type":"T","fields":[],"tombstone":null}',
      '{"type":1,"id":"a"}',
      '{"type":"T","id":2}',
      '{"type":"T"',
      '{"type":"T\\","id":"a"}',
      '{"type":"T","id":"a',
      '{"type":"\\u00zz","id":"a"}',
      ' {"type":"T","id":"a"}',
    ];
    for (const json of refused) expect(documentKeyInJson(Buffer.from(json, 'utf8')), json).toBeUndefined();
  });
});
