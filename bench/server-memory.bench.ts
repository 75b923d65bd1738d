/**
 * The sync server's memory (issue 13, C), two figures:
 *
 * - **bootstrap**: a partition of 500,000 documents of ~1 KB (~500 MB of changesets today) is
 *   written by one client; the server is restarted on the same data directory, so the partition
 *   exists but is not open. Its RSS idle (after a full GC) is the baseline; its peak RSS while a
 *   new client bootstraps the whole partition (VmHWM, reset at the start, and VmRSS sampled
 *   every 20 ms beside it) is the figure. Target: peak − idle ≤ 200 MB. That bound is for the
 *   issue's 500 MB: at a smaller BENCH_SCALE the partition is smaller and "met" is not judged;
 *   the ratio printed is MB of RSS per MB of partition, ≥ 1 for a server that holds it all.
 * - **partitions that exist**: one server has 10 partitions, another 1,000, each bound once
 *   by a client, written once (a small document) and unbound (the client goes). The RSS of
 *   each after a full GC, 1,000 against 10; target ≈ 1× (≤ 1.1×): memory follows what is bound,
 *   not what exists. heapUsed is reported beside it (in the subjects), less noisy than RSS.
 *
 * A memory high-water, not a time: each is measured once, its setup being what takes the time.
 */
import { tempDir, scaled, SCALE, stats, until, withTimeout, type Benchmark, type BenchReport, type SubjectResult } from './harness.js';
import { newClient } from './client.js';
import { residentMemory, resetPeak, sampleRss } from './proc-memory.js';
import { spawnServer, type ChildMemory } from './server-child.js';
import type { Realm } from '../src/index.js';

const DOCUMENTS = scaled(500_000, 1_000);
const PER_TRANSACTION = 1_000;
const FIELD = 'x'.repeat(1_000);
const PARTITION = 'server-memory';
const FEW = 10;
// Cheap at any scale (one small document each): the issue's 1,000 even in a quick run.
const MANY = scaled(1_000, 1_000);
const WAIT_MS = 900_000;
const MB = 1e6;
/** The issue's partition, for which the 200 MB bound is set. */
const ISSUE_BYTES = 500 * MB;

async function settle(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

interface Bootstrap {
  readonly partitionBytes: number;
  readonly idleRss: number;
  readonly peakRss: number;
  readonly peakFrom: string;
}

async function bootstrap(): Promise<Bootstrap> {
  const data = tempDir('server-memory');
  try {
    const first = await spawnServer({ durability: 'batched', dataDir: data.dir });
    let partitionBytes = 0;
    try {
      const writer = await newClient(first.url, 'memory-writer', 'batched');
      try {
        const realm = await writer.open(PARTITION);
        const session = realm.syncSession!;
        const started = Date.now();
        for (let i = 0; i < DOCUMENTS; i += PER_TRANSACTION) {
          realm.write((tx) => {
            for (let j = i; j < Math.min(DOCUMENTS, i + PER_TRANSACTION); j++) tx.put('Doc', `d${j}`, { n: j, body: FIELD });
          });
          // Upload as it goes: the client's queue of unsent changesets stays small.
          if ((i / PER_TRANSACTION) % 50 === 49) await session.waitForUpload(AbortSignal.timeout(WAIT_MS));
        }
        await session.waitForUpload(AbortSignal.timeout(WAIT_MS));
        const token = session.addProgressNotification('upload', 'reportIndefinitely', (p) => (partitionBytes = p.transferableBytes));
        await until(() => partitionBytes > 0, 10_000, 'upload byte count');
        token?.invalidate();
        process.stderr.write(`  setup: ${DOCUMENTS} documents, ${(partitionBytes / MB).toFixed(1)} MB of changesets in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        realm.close();
      } finally {
        writer.close();
      }
      // The whole tail folded first, so the bootstrap measured is the state's alone, not a
      // background fold that may or may not overlap it. The fold's own memory is printed.
      await first.peaks();
      const folded = await first.compact(PARTITION);
      const foldPeaks = await first.peaks();
      process.stderr.write(
        `  folded server versions ${folded.from}..${folded.to} into a ${(folded.stateBytes / MB).toFixed(1)} MB state; server memory at its highest meanwhile (no GC): heapTotal ${(foldPeaks.heapTotal / MB).toFixed(1)} MB, rss ${(foldPeaks.rss / MB).toFixed(1)} MB\n`,
      );
    } finally {
      await first.close();
    }

    // A fresh process on the same files: the partition exists and nothing of it is loaded.
    const server = await spawnServer({ durability: 'batched', dataDir: data.dir });
    try {
      const pid = server.process.pid!;
      await settle(1_000);
      await server.memory();
      await settle(500);
      const idleRss = residentMemory(pid).rss;
      await server.peaks();
      const reset = resetPeak(pid);
      const sampler = sampleRss(pid);
      const reader = await newClient(server.url, 'memory-reader', 'batched');
      let sampled: number;
      try {
        const started = Date.now();
        const realm = await reader.open(PARTITION);
        await withTimeout(realm.syncSession!.waitForDownload(AbortSignal.timeout(WAIT_MS)), WAIT_MS, 'bootstrap');
        sampled = sampler.stop();
        const count = realm.objects('Doc').length;
        if (count !== DOCUMENTS) throw new Error(`the reader has ${count} documents, expected ${DOCUMENTS}`);
        process.stderr.write(`  bootstrap of ${count} documents in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        realm.close();
      } finally {
        sampler.stop();
        reader.close();
      }
      const held = await server.peaks();
      process.stderr.write(
        `  server memory at its highest during the bootstrap (no GC): heapTotal ${(held.heapTotal / MB).toFixed(1)} MB, heapUsed ${(held.heapUsed / MB).toFixed(1)} MB, external ${(held.external / MB).toFixed(1)} MB (arrayBuffers ${(held.arrayBuffers / MB).toFixed(1)} MB)\n`,
      );
      const hwm = reset ? residentMemory(pid).peak : 0;
      const peakRss = Math.max(hwm, sampled);
      const peakFrom = reset ? (hwm >= sampled ? 'VmHWM' : 'VmRSS samples') : 'VmRSS samples (VmHWM reset refused)';
      process.stderr.write(`  server RSS idle ${(idleRss / MB).toFixed(1)} MB, peak ${(peakRss / MB).toFixed(1)} MB (${peakFrom})\n`);
      return { partitionBytes, idleRss, peakRss, peakFrom };
    } finally {
      await server.close();
    }
  } finally {
    data.remove();
  }
}

/** A server on which `count` partitions were each bound, written once and unbound: its memory then. */
async function partitionsThatExist(count: number): Promise<ChildMemory> {
  const server = await spawnServer({ durability: 'batched' });
  try {
    const client = await newClient(server.url, `memory-partitions-${count}`, 'batched');
    try {
      const realms: Realm[] = [];
      for (let i = 0; i < count; i++) realms.push(await client.open(`p${i}`, { connected: false }));
      for (const [i, realm] of realms.entries()) realm.write((tx) => tx.put('Doc', 'only', { n: i, body: 'x'.repeat(100) }));
      await Promise.all(realms.map((realm) => realm.syncSession!.waitForUpload(AbortSignal.timeout(WAIT_MS))));
      for (const realm of realms) realm.close();
    } finally {
      client.close();
    }
    // The socket closed: every session of it is unbound once the server has seen that.
    await settle(1_000);
    await server.memory();
    await settle(500);
    const memory = await server.memory();
    process.stderr.write(`  ${count} partitions, unbound: RSS ${(memory.rss / MB).toFixed(1)} MB, heap ${(memory.heapUsed / MB).toFixed(1)} MB\n`);
    return memory;
  } finally {
    await server.close();
  }
}

/** Benchmark `server-memory` (issue 13, C). */
export const serverMemory: Benchmark = {
  name: 'server-memory',
  title: `server RSS bootstrapping ${DOCUMENTS} documents of ~1 KB; after ${MANY} partitions against ${FEW}`,
  async run(): Promise<BenchReport> {
    const boot = await bootstrap();
    const few = await partitionsThatExist(FEW);
    const many = await partitionsThatExist(MANY);
    const growth = boot.peakRss - boot.idleRss;
    const fullSize = boot.partitionBytes >= ISSUE_BYTES;
    const metrics = (m: ChildMemory): SubjectResult['metrics'] => ({ rssMB: stats([m.rss / MB]), heapUsedMB: stats([m.heapUsed / MB]), externalMB: stats([m.external / MB]) });
    const subjects: Record<string, SubjectResult> = {
      bootstrap: { name: 'bootstrap', metrics: { idleRssMB: stats([boot.idleRss / MB]), peakRssMB: stats([boot.peakRss / MB]), partitionMB: stats([boot.partitionBytes / MB]) } },
      [`partitions${FEW}`]: { name: `partitions${FEW}`, metrics: metrics(few) },
      [`partitions${MANY}`]: { name: `partitions${MANY}`, metrics: metrics(many) },
    };
    const rssRatio = many.rss / few.rss;
    const notes = [`peak RSS from ${boot.peakFrom}`, 'one run each: a memory high-water, not a time'];
    if (!fullSize) notes.push(`partition of ${(boot.partitionBytes / MB).toFixed(0)} MB, below the issue's 500 MB: the 200 MB bound is not judged (ratio = MB of RSS per MB of partition)`);
    return {
      benchmark: 'server-memory',
      title: this.title,
      scale: SCALE,
      runs: 1,
      sizes: { documents: DOCUMENTS, partitionBytes: boot.partitionBytes, few: FEW, many: MANY },
      subjects,
      rows: [
        {
          metric: `server RSS growth bootstrapping ${(boot.partitionBytes / MB).toFixed(0)} MB`,
          unit: 'MB',
          value: stats([growth / MB]),
          baselineName: 'partition size',
          baseline: stats([boot.partitionBytes / MB]),
          ratio: growth / boot.partitionBytes,
          target: '≤ 200 MB at 500 MB',
          ...(fullSize ? { met: growth <= 200 * MB } : {}),
        },
        { metric: 'server RSS idle before the bootstrap', unit: 'MB', value: stats([boot.idleRss / MB]) },
        {
          metric: `server RSS, ${MANY} partitions bound once then unbound`,
          unit: 'MB',
          value: stats([many.rss / MB]),
          baselineName: `${FEW} partitions`,
          baseline: stats([few.rss / MB]),
          ratio: rssRatio,
          target: '≤ 1.1×',
          met: rssRatio <= 1.1,
        },
        {
          metric: `server heap, ${MANY} partitions bound once then unbound`,
          unit: 'MB',
          value: stats([many.heapUsed / MB]),
          baselineName: `${FEW} partitions`,
          baseline: stats([few.heapUsed / MB]),
          ratio: many.heapUsed / few.heapUsed,
        },
      ],
      notes,
    };
  },
};
