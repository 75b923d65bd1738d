/**
 * A state document's (type, id) read from the start of its wire JSON, without parsing the rest:
 * a fold streams every document of the state and needs only the key of most of them, and a
 * full parse of each (fields, stamps) is what made folding a big state cost CPU and garbage in
 * proportion to the whole state. No I/O.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const TYPE_PREFIX = Buffer.from('{"type":', 'latin1');
const ID_PREFIX = Buffer.from(',"id":', 'latin1');

/** The offset just past the JSON string starting at `start` (its opening quote), or −1. UTF-8 continuation bytes are never a quote or a backslash, so bytes can be scanned. */
function stringEnd(json: Buffer, start: number): number {
  if (json[start] !== QUOTE) return -1;
  for (let i = start + 1; i < json.length; i++) {
    const c = json[i];
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

function startsWithAt(json: Buffer, prefix: Buffer, at: number): boolean {
  return json.length >= at + prefix.length && json.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

/**
 * The type and id of the document whose wire JSON (`JSON.stringify(documentToEntry(…))`, keys in
 * that order) is `json`, or `undefined` if it does not start as such JSON does: the caller then
 * parses it whole.
 */
export function documentKeyInJson(json: Buffer): { readonly type: string; readonly id: string } | undefined {
  if (!startsWithAt(json, TYPE_PREFIX, 0)) return undefined;
  const typeEnd = stringEnd(json, TYPE_PREFIX.length);
  if (typeEnd < 0 || !startsWithAt(json, ID_PREFIX, typeEnd)) return undefined;
  const idStart = typeEnd + ID_PREFIX.length;
  const idEnd = stringEnd(json, idStart);
  if (idEnd < 0) return undefined;
  try {
    const type: unknown = JSON.parse(json.toString('utf8', TYPE_PREFIX.length, typeEnd));
    const id: unknown = JSON.parse(json.toString('utf8', idStart, idEnd));
    return typeof type === 'string' && typeof id === 'string' ? { type, id } : undefined;
  } catch {
    return undefined;
  }
}
