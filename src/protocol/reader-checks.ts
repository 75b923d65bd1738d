/**
 * The checks the hand-written readers (`changeset.reader.ts`, `document-entry.reader.ts`) make
 * of parsed JSON, each the accepting half of one io-ts codec of `changeset.codec.ts`.
 */

/** What `NatCodec` accepts: a safe integer, not negative. */
export const isNat = (u: unknown): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0;

/** What `NonEmptyStringCodec` accepts. */
export const isName = (u: unknown): u is string => typeof u === 'string' && u.length > 0;

/** A plain object (what JSON.parse makes); anything else is left to the composed codec. */
export function plain(u: unknown): Record<string, unknown> | undefined {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return undefined;
  const proto = Object.getPrototypeOf(u) as unknown;
  return proto === Object.prototype || proto === null ? (u as Record<string, unknown>) : undefined;
}
