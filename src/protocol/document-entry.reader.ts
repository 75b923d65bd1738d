/**
 * The accepting half of `DocumentEntryCodec`, written out by hand for the reason
 * `changeset.reader.ts` gives: an initial download of 100,000 documents would spend more in the
 * composed io-ts decoder than in parsing its JSON. Accepts exactly what the composed codec
 * accepts and gives the same value; where unsure (a tuple with extra components, which the
 * codec strips, an object that is not plain) it answers `undefined` and the codec decides.
 * `test/protocol/state.codec.test.ts` holds it to that on generated and mutated inputs.
 */
import type { DocumentEntry, FieldEntry, StampTuple } from './document-entry.codec.js';
import { JsonCodec } from './json.codec.js';
import { isName, isNat, plain } from './reader-checks.js';

function readStamp(u: unknown): StampTuple | undefined {
  if (!Array.isArray(u) || u.length !== 4) return undefined;
  const [wall, counter, origin, opIndex] = u as unknown[];
  // The tuple codec gives back the array itself when every component is accepted as it is.
  return isNat(wall) && isNat(counter) && isName(origin) && isNat(opIndex) ? (u as unknown as StampTuple) : undefined;
}

function readFields(u: unknown): readonly FieldEntry[] | undefined {
  if (!Array.isArray(u)) return undefined;
  for (let i = 0; i < u.length; i++) {
    const field: unknown = u[i];
    if (!Array.isArray(field) || field.length !== 3) return undefined;
    if (typeof field[0] !== 'string' || readStamp(field[2]) === undefined || !JsonCodec.is(field[1])) return undefined;
  }
  return u as unknown as readonly FieldEntry[];
}

/** What `DocumentEntryCodec` decodes `u` to, or `undefined` to let the codec decide. */
export function readDocumentEntry(u: unknown): DocumentEntry | undefined {
  const o = plain(u);
  if (o === undefined) return undefined;
  const { type, id, tombstone } = o;
  if (!isName(type) || !isName(id)) return undefined;
  const fields = readFields(o['fields']);
  if (fields === undefined) return undefined;
  if (tombstone === null) return { type, id, fields, tombstone };
  const stamp = readStamp(tombstone);
  return stamp === undefined ? undefined : { type, id, fields, tombstone: stamp };
}
