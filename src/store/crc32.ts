/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of every record in a
 * record log. Node's native `zlib.crc32` (Node ≥ 20.15 / 22.2) computes the same function an
 * order of magnitude faster, which matters for large records (an integrated DOWNLOAD is up to
 * a MiB, checksummed on write and again on every open); older Nodes that the package still
 * supports (`engines: >=20`) get the table-driven one, one byte per step.
 */
import * as zlib from 'node:zlib';

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** `zlib.crc32` where this Node has it (same polynomial, same continuation argument). */
const native: ((data: Uint8Array, previous: number) => number) | undefined =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (zlib as unknown as { crc32(data: Uint8Array, value: number): number }).crc32 : undefined;

/**
 * The CRC-32 of `data` as an unsigned 32-bit integer. `previous` continues a checksum over
 * data split into pieces: `crc32(b, crc32(a))` equals `crc32(a ++ b)`.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  return native === undefined ? tableCrc32(data, previous) : native(data, previous);
}

/** The portable implementation; exported so tests can check both agree. */
export function tableCrc32(data: Uint8Array, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) {
    // Both indexes are in range by construction; `?? 0` only satisfies noUncheckedIndexedAccess.
    crc = (TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
