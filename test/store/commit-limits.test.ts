/**
 * What the sync runtime needs of a realm file to keep its waits honest and its uploads
 * sendable: a commit heard when `write` returns (durable or not yet), and a size limit on
 * local changesets that refuses before anything is written.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { changesetBytes } from '../../src/protocol/changeset.codec.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { InvalidInputError } from '../../src/store/store-errors.js';
import { useTempDir } from './temp-dir.js';

const tempDir = useTempDir('commit-limits');

describe('commit listeners', () => {
  it("hear a batched commit when write returns, before its fsync (listeners hear it after)", async () => {
    const realm = RealmFile.open({ path: join(tempDir(), 'a.realm'), durability: 'batched' });
    const heard: string[] = [];
    realm.addCommitListener(() => heard.push(`commit ${realm.progress.upload.transferable}`));
    realm.addListener(() => heard.push('durable'));
    realm.write((tx) => tx.put('T', 'a', { n: 1 }));
    expect(heard).toEqual([`commit ${realm.progress.upload.transferable}`]);
    expect(realm.progress.upload.transferable).toBeGreaterThan(0);
    await realm.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toEqual([heard[0], 'durable']);
    realm.close();
  });
});

describe('limitChangesetBytes', () => {
  it('refuses a changeset over the limit, naming its size and the limit, and writes nothing', () => {
    const path = join(tempDir(), 'b.realm');
    const realm = RealmFile.open({ path });
    realm.write((tx) => tx.put('T', 'small', { n: 1 }));
    const size = statSync(path).size;
    realm.limitChangesetBytes(1_000);
    expect(() => realm.write((tx) => tx.put('T', 'big', { s: 'x'.repeat(2_000) }))).toThrow(InvalidInputError);
    expect(() => realm.write((tx) => tx.put('T', 'big', { s: 'x'.repeat(2_000) }))).toThrow(/the changeset is 2\d{3} bytes, over the limit of 1000 bytes/);
    expect(realm.objectForPrimaryKey('T', 'big')).toBeUndefined();
    expect(realm.clientVersion).toBe(1);
    expect(statSync(path).size).toBe(size);
    // At the limit exactly it is taken: the limit is on changesetBytes, not on the (larger) record.
    realm.write((tx) => tx.put('T', 'fits', { s: 'y'.repeat(800) }));
    const overhead = changesetBytes(realm.pendingChangesets(1)[0]!) - 800;
    realm.write((tx) => tx.put('T', 'fits', { s: 'z'.repeat(1_000 - overhead) }));
    expect(changesetBytes(realm.pendingChangesets(2)[0]!)).toBe(1_000);
    expect(() => realm.limitChangesetBytes(-1)).toThrow(InvalidInputError);
    realm.close();
  });
});
