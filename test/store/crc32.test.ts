import { describe, expect, it } from 'vitest';
import { crc32, tableCrc32 } from '../../src/store/crc32.js';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

describe('crc32 (IEEE)', () => {
  // Both, so that the fallback is checked on a Node that has zlib.crc32 (where crc32 is the native one).
  it.each([
    ['crc32', crc32],
    ['the table-driven fallback', tableCrc32],
  ])('%s matches the published check values', (_name, crc) => {
    expect(crc(bytes(''))).toBe(0);
    expect(crc(bytes('a'))).toBe(0xe8b7be43);
    expect(crc(bytes('123456789'))).toBe(0xcbf43926);
    expect(crc(bytes('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc(new Uint8Array(32))).toBe(0x190a55ad);
    expect(crc(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
  });

  it('continues over pieces', () => {
    const whole = bytes('The quick brown fox jumps over the lazy dog');
    for (const cut of [0, 1, 10, whole.length]) {
      expect(crc32(whole.subarray(cut), crc32(whole.subarray(0, cut)))).toBe(crc32(whole));
    }
  });

  it('sees a single flipped bit', () => {
    const data = Buffer.from('123456789');
    const before = crc32(data);
    data[4] = (data[4] ?? 0) ^ 0x10;
    expect(crc32(data)).not.toBe(before);
  });

  it('the native and the table-driven implementations agree', () => {
    for (let n = 0; n < 300; n += 7) {
      const data = Buffer.alloc(n);
      for (let i = 0; i < n; i++) data[i] = (i * 131 + n) & 0xff;
      expect(crc32(data)).toBe(tableCrc32(data));
      expect(crc32(data, 0x12345678)).toBe(tableCrc32(data, 0x12345678));
    }
  });
});
