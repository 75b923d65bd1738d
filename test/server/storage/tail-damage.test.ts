/**
 * Damaged tail segments at open: a record refused for its content is cut with everything after
 * it (it never comes back after a later restart, when its version would be due again), and a
 * segment whose magic was zeroed over records is refused, not removed; only an all-zero file
 * (a creation that never reached the disk) counts as empty.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFilePartitionStore, type FilePartitionStore } from '../../../src/server/storage/file/index.js';
import type { Logger } from '../../../src/store/logger.js';
import { NotARecordLogError } from '../../../src/store/store-errors.js';
import { putTask } from '../../support/changesets.js';
import { readWholeTail } from './partition-contents.js';

let dir: string;
let warnings: string[];
const logger: Logger = { info: () => undefined, warn: (message) => void warnings.push(message) };
const open = (): FilePartitionStore => openFilePartitionStore(join(dir, 'partitions'), { durability: 'full', logger, now: () => 0 });
const partitionDir = (): string => join(dir, 'partitions', readdirSync(join(dir, 'partitions')).find((name) => !name.endsWith('.log'))!);
/** The partition's tail segment files, in version order. */
const segments = (): string[] =>
  readdirSync(partitionDir())
    .filter((n) => n.startsWith('tail-'))
    .sort((a, b) => Number(a.slice(5, -4)) - Number(b.slice(5, -4)))
    .map((n) => join(partitionDir(), n));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tail-damage-'));
  warnings = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Origin a's changesets 1..5 in one segment and 6..10 in a second (a restart between). */
async function twoSegments(): Promise<void> {
  for (const [from, to] of [
    [1, 5],
    [6, 10],
  ] as const) {
    const store = open();
    const h = await store.acquire('p');
    for (let v = from; v <= to; v++) await h.append('a', 'u', [putTask('a', v, `t${v}`)], 0);
    await store.close();
  }
  expect(segments()).toHaveLength(2);
}

describe('damaged tail segments', () => {
  it('a corrupt record cuts its segment there and the next one whole: what follows never comes back, also after another origin writes and a restart', async () => {
    await twoSegments();
    const [first] = segments();
    const bytes = readFileSync(first!);
    // A flipped byte in the last record of the first segment (version 5).
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 5) ^ 0xff, bytes.length - 5);
    writeFileSync(first!, bytes);
    let store = open();
    let h = await store.acquire('p');
    expect({ latest: h.latest, a: h.origin('a').clientVersion }).toEqual({ latest: 4, a: 4 });
    expect(warnings.length).toBeGreaterThan(0);
    await h.append('b', 'u', [putTask('b', 1, 'b1')], 0);
    await store.close();
    store = open();
    h = await store.acquire('p');
    expect({ latest: h.latest, a: h.origin('a').clientVersion, b: h.origin('b').clientVersion }).toEqual({ latest: 5, a: 4, b: 1 });
    const tail = await readWholeTail(h, 0, 'reader');
    expect(tail.map((c) => `${c.origin}${c.clientVersion}@${c.serverVersion}`)).toEqual(['a1@1', 'a2@2', 'a3@3', 'a4@4', 'b1@5']);
    // a's 5 is taken again once re-sent: it was never stored.
    expect((await h.append('a', 'u', [putTask('a', 5, 't5')], 0)).added.map((c) => c.serverVersion)).toEqual([6]);
    await store.close();
  });

  for (const which of [0, 1]) {
    it(`a segment whose magic was zeroed over its records (segment ${which + 1} of 2) is refused, and kept`, async () => {
      await twoSegments();
      const path = segments()[which]!;
      const bytes = readFileSync(path);
      bytes.fill(0, 0, 8);
      writeFileSync(path, bytes);
      const store = open();
      await expect(store.acquire('p')).rejects.toThrow(NotARecordLogError);
      await store.close();
      expect(existsSync(path)).toBe(true);
      expect(readFileSync(path).length).toBe(bytes.length);
    });
  }

  it('an all-zero segment file (its creation never reached the disk) holds nothing; the partition writes on after it', async () => {
    await twoSegments();
    const second = segments()[1]!;
    writeFileSync(second, Buffer.alloc(readFileSync(second).length));
    let store = open();
    let h = await store.acquire('p');
    expect({ latest: h.latest, a: h.origin('a').clientVersion }).toEqual({ latest: 5, a: 5 });
    await h.append('a', 'u', [putTask('a', 6, 't6')], 0);
    await store.close();
    store = open();
    h = await store.acquire('p');
    expect((await readWholeTail(h, 0, 'reader')).map((c) => c.clientVersion)).toEqual([1, 2, 3, 4, 5, 6]);
    await store.close();
  });
});
