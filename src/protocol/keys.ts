/**
 * What a key may be — a partition name, a document's type or id, a file's ident — decided in
 * one place, for the codecs, the server's upload check, both storage backends and the client's
 * write API alike (PROTOCOL.md "Limits"). Pure.
 *
 * A key is non-empty, at most its limit of UTF-8 bytes (`limits.ts` says why those), and
 * "storable text": no NUL and no lone surrogate. PostgreSQL's `text` refuses a NUL, and a lone
 * surrogate has no UTF-8 form at all: encoded it becomes U+FFFD, so two keys differing only
 * there would become one row (or one client file name), one's state lost.
 */
import * as t from 'io-ts';
import type { Changeset } from './changeset.codec.js';
import { MAX_FILE_IDENT_BYTES, MAX_OBJECT_ID_BYTES, MAX_OBJECT_TYPE_BYTES, MAX_PARTITION_BYTES } from './limits.js';

/** Which key a string is. */
export type KeyKind = 'partition' | 'type' | 'id' | 'fileIdent';

/** Each key's limit in UTF-8 bytes, and how messages name it. */
export const KEY_LIMITS: { readonly [K in KeyKind]: { readonly maxBytes: number; readonly label: string } } = {
  partition: { maxBytes: MAX_PARTITION_BYTES, label: 'partition' },
  type: { maxBytes: MAX_OBJECT_TYPE_BYTES, label: 'type' },
  id: { maxBytes: MAX_OBJECT_ID_BYTES, label: 'id' },
  fileIdent: { maxBytes: MAX_FILE_IDENT_BYTES, label: 'file ident' },
};

const hex = (code: number): string => code.toString(16).toUpperCase().padStart(4, '0');

/** What one scan of a string finds: its UTF-8 length, and the first code unit that is no storable text. */
interface Scan {
  readonly bytes: number;
  readonly bad?: { readonly index: number; readonly what: string };
}

/**
 * One pass over the code units: UTF-8 bytes counted as an encoder would (a lone surrogate
 * counts the 3 of the U+FFFD it would become), and the first NUL or lone surrogate.
 */
function scan(value: string): Scan {
  let bytes = 0;
  let bad: Scan['bad'];
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x80) {
      bytes += 1;
      if (unit === 0 && bad === undefined) bad = { index: i, what: 'a NUL' };
    } else if (unit < 0x800) {
      bytes += 2;
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length && isLow(value.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else {
      bytes += 3;
      if (unit >= 0xd800 && unit <= 0xdfff && bad === undefined) bad = { index: i, what: `the lone surrogate U+${hex(unit)}` };
    }
  }
  return bad === undefined ? { bytes } : { bytes, bad };
}

const isLow = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * Why `value` is no storable text (a NUL, a lone surrogate, naming where), or `undefined`.
 * `what` names the value in the answer.
 */
export function storableTextProblem(what: string, value: string): string | undefined {
  const { bad } = scan(value);
  return bad === undefined ? undefined : `the ${what} holds ${bad.what} at index ${bad.index}`;
}

/** Why `value` cannot be a key of kind `kind`, or `undefined` if it can. */
export function keyProblem(kind: KeyKind, value: unknown): string | undefined {
  const { maxBytes, label } = KEY_LIMITS[kind];
  if (typeof value !== 'string') return `the ${label} must be a string, not ${value === null ? 'null' : typeof value}`;
  if (value.length === 0) return `the ${label} is empty`;
  const { bytes, bad } = scan(value);
  if (bad !== undefined) return `the ${label} holds ${bad.what} at index ${bad.index}, which no key may hold`;
  if (bytes > maxBytes) return `the ${label} is ${bytes} bytes of UTF-8, over the limit of ${maxBytes}`;
  return undefined;
}

/**
 * Why one of a changeset's keys (its origin, an operation's type or id) cannot be one, or
 * `undefined`: what the server refuses an uploaded changeset for (`badChangeset`) and what a
 * backend refuses to store.
 */
export function changesetKeyProblem(changeset: Changeset): string | undefined {
  const origin = keyProblem('fileIdent', changeset.origin);
  if (origin !== undefined) return `its origin: ${origin}`;
  for (let i = 0; i < changeset.ops.length; i++) {
    const op = changeset.ops[i]!;
    const problem = keyProblem('type', op.type) ?? keyProblem('id', op.id);
    if (problem !== undefined) return `operation ${i}: ${problem}`;
  }
  return undefined;
}

/** {@link changesetKeyProblem} of the first of `changesets` that has one, naming its client version, or `undefined`. */
export function changesetsKeyProblem(changesets: readonly Changeset[]): string | undefined {
  for (const changeset of changesets) {
    const problem = changesetKeyProblem(changeset);
    if (problem !== undefined) return `client version ${changeset.clientVersion}: ${problem}`;
  }
  return undefined;
}

/**
 * The codec of keys of kind `kind`, named `name`: a refusal carries `keyProblem`'s answer as
 * its message, which `readableErrors` shows beside the path.
 */
function keyCodec(kind: KeyKind, name: string): t.Type<string, string, unknown> {
  return new t.Type<string, string, unknown>(
    name,
    (u): u is string => keyProblem(kind, u) === undefined,
    (u, context) => {
      const problem = keyProblem(kind, u);
      return problem === undefined ? t.success(u as string) : t.failure(u, context, problem);
    },
    t.identity,
  );
}

/** A partition name (BIND): see {@link keyProblem}. */
export const PartitionNameCodec = keyCodec('partition', 'PartitionName');
/** A file ident (IDENT, both ways): see {@link keyProblem}. */
export const FileIdentCodec = keyCodec('fileIdent', 'FileIdent');
