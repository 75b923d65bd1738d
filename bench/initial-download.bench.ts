/**
 * Benchmark 3: the initial download of 100,000 documents of ~1 KB by a new client. Setup (not
 * timed): a writer client puts the documents in transactions of 1,000 and waits for upload. Per
 * run, a new App (fresh storage) opens the partition; timed from `Realm.open` until its download
 * progress has counted every byte the writer uploaded (all integrated in the local file). The
 * baseline, measured in the same run between the same two processes: a raw `ws` bulk transfer of
 * the same number of bytes, in frames of the server's download batch size (1 MiB). Target:
 * runtime MB/s ≥ 25 % of raw MB/s.
 */
import WebSocket from 'ws';
import { measure, now, scaled, until, withTimeout, RUNS, SCALE, type Benchmark, type BenchReport } from './harness.js';
import { newClient } from './client.js';
import { spawnServer } from './server-child.js';

const DOCUMENTS = scaled(100_000, 1_000);
const PER_TRANSACTION = 1_000;
const FIELD = 'x'.repeat(1_000);
const PARTITION = 'initial-download';

export const initialDownload: Benchmark = {
  name: 'initial-download',
  title: `initial download of ${DOCUMENTS} documents of ~1 KB by a new client`,
  async run(): Promise<BenchReport> {
    const server = await spawnServer();
    const writer = await newClient(server.url, 'download-writer');
    try {
      const source = await writer.open(PARTITION);
      const session = source.syncSession!;
      for (let i = 0; i < DOCUMENTS; i += PER_TRANSACTION) {
        source.write((tx) => {
          for (let j = i; j < Math.min(DOCUMENTS, i + PER_TRANSACTION); j++) tx.put('Doc', `d${j}`, { n: j, body: FIELD });
        });
      }
      await session.waitForUpload(AbortSignal.timeout(300_000));
      let totalBytes = 0;
      const token = session.addProgressNotification('upload', 'reportIndefinitely', (p) => (totalBytes = p.transferableBytes));
      await until(() => totalBytes > 0, 10_000, 'upload byte count');
      token?.invalidate();
      process.stderr.write(`  setup: ${DOCUMENTS} documents, ${(totalBytes / 1e6).toFixed(1)} MB of changesets uploaded\n`);

      const subjects = await measure({
        runtime: async (run) => {
          const reader = await newClient(server.url, `download-reader-${run}`);
          try {
            let downloaded = 0;
            const start = now();
            const realm = await reader.open(PARTITION, { connected: false });
            realm.syncSession!.addProgressNotification('download', 'reportIndefinitely', (p) => (downloaded = p.transferredBytes));
            await until(() => downloaded >= totalBytes, 300_000, `download of ${totalBytes} bytes (${downloaded} so far)`, 1);
            const seconds = (now() - start) / 1000;
            const count = realm.objects('Doc').length;
            if (count !== DOCUMENTS) throw new Error(`reader has ${count} documents, expected ${DOCUMENTS}`);
            realm.close();
            return { MBps: totalBytes / 1e6 / seconds, ms: seconds * 1000 };
          } finally {
            reader.close();
          }
        },
        rawWs: async () => {
          const raw = new WebSocket(server.rawUrl, { perMessageDeflate: false });
          try {
            const start = now();
            await withTimeout(new Promise((resolve, reject) => raw.once('open', resolve).once('error', reject)), 10_000, 'raw ws open');
            let received = 0;
            await withTimeout(
              new Promise<void>((resolve) => {
                raw.on('message', (data: Buffer, isBinary: boolean) => {
                  if (!isBinary) return resolve();
                  received += data.length;
                });
                raw.send(JSON.stringify({ stream: { bytes: totalBytes, frame: 1024 * 1024 } }));
              }),
              300_000,
              'raw bulk transfer',
            );
            const seconds = (now() - start) / 1000;
            if (received !== totalBytes) throw new Error(`raw received ${received} of ${totalBytes}`);
            return { MBps: totalBytes / 1e6 / seconds, ms: seconds * 1000 };
          } finally {
            raw.terminate();
          }
        },
      });
      source.close();
      const value = subjects.runtime!.metrics.MBps!;
      const baseline = subjects.rawWs!.metrics.MBps!;
      const ratio = value.median / baseline.median;
      return {
        benchmark: 'initial-download',
        title: this.title,
        scale: SCALE,
        runs: RUNS,
        sizes: { documents: DOCUMENTS, bytes: totalBytes },
        subjects,
        rows: [
          { metric: 'download throughput', unit: 'MB/s', value, baselineName: 'raw ws bulk', baseline, ratio, target: '≥ 0.25×', met: ratio >= 0.25 },
          { metric: 'download time', unit: 'ms', value: subjects.runtime!.metrics.ms!, baselineName: 'raw ws bulk', baseline: subjects.rawWs!.metrics.ms! },
        ],
      };
    } finally {
      writer.close();
      await server.close();
    }
  },
};
