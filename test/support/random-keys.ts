/**
 * Keys of an exact UTF-8 length that do not compress: random code points of 1 to 4 bytes each
 * (never a NUL, a control character or a surrogate), so a database's compression cannot shrink
 * an index entry below its real size and hide a limit set too high (repeated characters would).
 */

/** A code point of `width` UTF-8 bytes, from `random`. */
function codePointOf(width: number, random: () => number): number {
  const pick = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
  if (width === 1) return pick(0x21, 0x7e);
  if (width === 2) return pick(0x80, 0x7ff);
  if (width === 3) {
    // The surrogates' range has no UTF-8 form: skip past it.
    const point = pick(0x800, 0xffff - 0x800);
    return point >= 0xd800 ? point + 0x800 : point;
  }
  return pick(0x10000, 0x10ffff);
}

/** A random string of exactly `bytes` bytes of UTF-8 (`bytes` ≥ 1), every code point's width random. */
export function randomKey(bytes: number, random: () => number): string {
  let out = '';
  let left = bytes;
  // Each round spends at least one byte: at most `bytes` rounds.
  while (left > 0) {
    const width = 1 + Math.floor(random() * Math.min(4, left));
    out += String.fromCodePoint(codePointOf(width, random));
    left -= width;
  }
  return out;
}

/** Random lower-case hex of exactly `bytes` characters (one byte each). */
export function randomHex(bytes: number, random: () => number): string {
  let out = '';
  for (let i = 0; i < bytes; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}
