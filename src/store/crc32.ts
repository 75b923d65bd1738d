/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of every record in a
 * record log. Written here because Node 20 has no `zlib.crc32`; table-driven, one byte per step,
 * which is fast enough for payloads that are about to be fsynced anyway.
 */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The CRC-32 of `data` as an unsigned 32-bit integer. `previous` continues a checksum over
 * data split into pieces: `crc32(b, crc32(a))` equals `crc32(a ++ b)`.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) {
    // Both indexes are in range by construction; `?? 0` only satisfies noUncheckedIndexedAccess.
    crc = (TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
