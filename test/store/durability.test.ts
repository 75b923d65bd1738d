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

describe("'batched': uploadable changesets", () => {
  it('none before the sync; after it, every commit it covered at once (from the first notification on)', async () => {
    const realm = RealmFile.open({ path: join(tempDir(), 'uploadable.realm'), durability: 'batched' });
    const seen: number[] = [];
    realm.addListener(() => seen.push(realm.pendingChangesets(0).length));
    for (let i = 0; i < 5; i++) realm.write((tx) => tx.put('Doc', `d${i}`, { i }));
    expect(realm.pendingChangesets(0)).toEqual([]);
    await realm.flush();
    expect(seen).toEqual([5, 5, 5, 5, 5]);
    // A commit made after the sync waits for the next one.
    realm.write((tx) => tx.put('Doc', 'late', { i: 5 }));
    expect(realm.pendingChangesets(0)).toHaveLength(5);
    await realm.flush();
    expect(realm.pendingChangesets(0)).toHaveLength(6);
    realm.close();
  });
});
