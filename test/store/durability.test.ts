import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Durability } from '../../src/store/record-log.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { useTempDir } from './temp-dir.js';

const tempDir = useTempDir('durability');
const WRITES = 1_000;

/** Commits WRITES one-document transactions in one synchronous loop, then waits for durability. */
async function timeWrites(durability: Durability): Promise<number> {
  const file = join(tempDir(), `${durability}.realm`);
  const realm = RealmFile.open({ path: file, durability });
  const started = performance.now();
  for (let i = 0; i < WRITES; i++) realm.write((tx) => tx.put('Doc', `d${i}`, { i }));
  await realm.flush();
  const ms = performance.now() - started;
  realm.close();
  const reopened = RealmFile.open({ path: file });
  expect(reopened.objects('Doc')).toHaveLength(WRITES);
  expect(reopened.clientVersion).toBe(WRITES);
  reopened.close();
  return ms;
}

describe('durability modes', () => {
  it(`${WRITES} transactions: 'full' (fdatasync each) vs 'batched' (one fdatasync per tick), all there after reopen`, async () => {
    const full = await timeWrites('full');
    const batched = await timeWrites('batched');
    console.log(
      `durability: ${WRITES} writes, 'full' ${full.toFixed(0)} ms (${((full / WRITES) * 1000).toFixed(0)} µs each), ` +
        `'batched' ${batched.toFixed(0)} ms (${((batched / WRITES) * 1000).toFixed(0)} µs each) in ${tempDir()}`,
    );
  });
});
