/**
 * Benchmark 6: 10,000 durable ('full') transactions of one small put each, against a bare
 * write + fdatasync loop appending records of exactly the same sizes (read back from the realm
 * file the project wrote, frame headers included). Target: ≤ 1.2 × the bare loop.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { RECORD_LOG_MAGIC, readRecordAt } from '../src/store/record-framing.js';
import { RealmFile } from '../src/store/realm-file.js';
import { measure, now, scaled, tempDir, RUNS, SCALE, type Benchmark, type BenchReport } from './harness.js';

const TRANSACTIONS = scaled(10_000, 100);

/** Sizes of every record of the file after the first (the header written at open). */
function frameSizes(file: string): number[] {
  const bytes = fs.readFileSync(file);
  const sizes: number[] = [];
  let offset = RECORD_LOG_MAGIC.length;
  while (offset < bytes.length) {
    const frame = readRecordAt(bytes, offset);
    if (E.isLeft(frame)) throw new Error(`unreadable record at ${offset}: ${frame.left}`);
    sizes.push(frame.right.next - offset);
    offset = frame.right.next;
  }
  return sizes.slice(1);
}

export const storeCommit: Benchmark = {
  name: 'store-commit',
  title: `${TRANSACTIONS} durable ('full') single-put transactions vs bare write+fdatasync`,
  async run(): Promise<BenchReport> {
    const tmp = tempDir('store-commit');
    let sizes: number[] = [];
    try {
      const subjects = await measure({
        realmFile: async (run) => {
          const path = join(tmp.dir, `realm-${run}.realm`);
          const realm = RealmFile.open({ path, durability: 'full' });
          const start = now();
          for (let i = 0; i < TRANSACTIONS; i++) {
            realm.write((tx) => tx.put('Task', `t${i}`, { title: `task number ${i}`, done: i % 2 === 0 }));
          }
          const ms = now() - start;
          realm.close();
          sizes = frameSizes(path);
          if (sizes.length !== TRANSACTIONS) throw new Error(`expected ${TRANSACTIONS} records, found ${sizes.length} (compaction?)`);
          fs.rmSync(path);
          return { ms, usPerTx: (ms * 1000) / TRANSACTIONS };
        },
        writeFdatasync: async (run) => {
          const path = join(tmp.dir, `bare-${run}.log`);
          const fd = fs.openSync(path, 'w');
          fs.writeSync(fd, RECORD_LOG_MAGIC, 0, RECORD_LOG_MAGIC.length, 0);
          fs.fdatasyncSync(fd);
          const buffers = sizes.map((n) => Buffer.alloc(n, 0x61));
          let position = RECORD_LOG_MAGIC.length;
          const start = now();
          for (const b of buffers) {
            fs.writeSync(fd, b, 0, b.length, position);
            position += b.length;
            fs.fdatasyncSync(fd);
          }
          const ms = now() - start;
          fs.closeSync(fd);
          fs.rmSync(path);
          return { ms, usPerTx: (ms * 1000) / buffers.length };
        },
      });
      const value = subjects.realmFile!.metrics.ms!;
      const baseline = subjects.writeFdatasync!.metrics.ms!;
      const ratio = value.median / baseline.median;
      const avg = sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length);
      return {
        benchmark: 'store-commit',
        title: this.title,
        scale: SCALE,
        runs: RUNS,
        sizes: { transactions: TRANSACTIONS, avgRecordBytes: Math.round(avg) },
        subjects,
        rows: [{ metric: `${TRANSACTIONS} tx`, unit: 'ms', value, baselineName: 'write+fdatasync', baseline, ratio, target: '≤ 1.2×', met: ratio <= 1.2 }],
      };
    } finally {
      tmp.remove();
    }
  },
};
