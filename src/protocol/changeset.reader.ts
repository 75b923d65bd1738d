/**
 * The accepting half of the changeset codecs, written out by hand.
 *
 * Changesets are most of what crosses the wire and the disk (a 1 MiB DOWNLOAD holds about a
 * thousand), and io-ts's composed decoder — a context array, an Either and a closure per node,
 * the union trying `put` before `delete`, `exact` scanning keys — cost more than parsing the
 * JSON itself (bench/: initial download, fan-out). These readers accept exactly what the
 * composed codecs in `changeset.codec.ts` accept, and give back the same value (unknown keys
 * dropped); where they are unsure they answer `undefined` and the composed codec decides, so
 * every refusal still comes with its readable path. `test/protocol/changeset.reader.test.ts`
 * holds them to that on generated and mutated inputs.
 */
import type { Changeset, Hlc, Operation, ServerChangeset } from './changeset.codec.js';
import { JsonCodec, type Json } from './json.codec.js';
import { isName, isNat, plain } from './reader-checks.js';

type Fields = { readonly [key: string]: Json };

function readHlc(u: unknown): Hlc | undefined {
  const o = plain(u);
  if (o === undefined || !isNat(o['wall']) || !isNat(o['counter'])) return undefined;
  return { wall: o['wall'], counter: o['counter'] };
}

function readFields(u: unknown): Fields | undefined {
  const o = plain(u);
  if (o === undefined) return undefined;
  // Own keys only: `plain` rules out a prototype that could add enumerable ones.
  for (const key in o) if (!JsonCodec.is(o[key])) return undefined;
  // The record codec gives back the object itself when every value is JSON.
  return o as Fields;
}

function readOperation(u: unknown): Operation | undefined {
  const o = plain(u);
  if (o === undefined) return undefined;
  const { op, type, id } = o;
  if (!isName(type) || !isName(id)) return undefined;
  if (op === 'delete') return { op, type, id };
  if (op !== 'put') return undefined;
  const fields = readFields(o['fields']);
  return fields === undefined ? undefined : { op, type, id, fields };
}

/** What `ChangesetCodec` decodes `u` to, or `undefined` to let the codec decide. */
export function readChangeset(u: unknown): Changeset | undefined {
  const o = plain(u);
  if (o === undefined) return undefined;
  const { clientVersion, origin, ops } = o;
  if (!isNat(clientVersion) || !isName(origin) || !Array.isArray(ops)) return undefined;
  const hlc = readHlc(o['hlc']);
  if (hlc === undefined) return undefined;
  const read: Operation[] = new Array<Operation>(ops.length);
  for (let i = 0; i < ops.length; i++) {
    const operation = readOperation(ops[i]);
    if (operation === undefined) return undefined;
    read[i] = operation;
  }
  return { clientVersion, origin, hlc, ops: read };
}

/** What `ServerChangesetCodec` decodes `u` to, or `undefined` to let the codec decide. */
export function readServerChangeset(u: unknown): ServerChangeset | undefined {
  const o = plain(u);
  const serverVersion = o?.['serverVersion'];
  if (!isNat(serverVersion)) return undefined;
  const changeset = readChangeset(o);
  if (changeset === undefined) return undefined;
  const { clientVersion, origin, hlc, ops } = changeset;
  return { clientVersion, origin, hlc, ops, serverVersion };
}
