/**
 * Benchmark 3: the initial download of 100,000 documents of ~1 KB by a new client. Setup (not
 * timed): a writer client puts the documents in transactions of 1,000 and waits for upload; a
 * first reader then downloads them once to learn how many bytes a new client receives (the
 * partition's state, since issue 13; before it, the changesets the writer uploaded). Per run, a
 * new App (fresh storage) opens the partition; timed from `Realm.open` until its
 * `waitForDownload` resolves, with every document in the local file. The baseline, measured in
 * the same run between the same two processes: a raw `ws` bulk transfer of the same number of
 * bytes, in frames of the server's download batch size (1 MiB). Target: runtime MB/s ≥ 25 % of
 * raw MB/s.
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

      // Download progress counts what the server sends a new client, which need not be what was
      // uploaded (a bootstrap sends the state): one reader learns it, untimed.
      const download = async (run: string): Promise<{ seconds: number; bytes: number }> => {
        const reader = await newClient(server.url, `download-reader-${run}`);
        try {
          let bytes = 0;
          const start = now();
          const realm = await reader.open(PARTITION, { connected: false });
          const sessionOfReader = realm.syncSession!;
          const progress = sessionOfReader.addProgressNotification('download', 'reportIndefinitely', (p) => (bytes = p.transferableBytes));
          await sessionOfReader.waitForDownload(AbortSignal.timeout(300_000));
          const seconds = (now() - start) / 1000;
          const count = realm.objects('Doc').length;
          if (count !== DOCUMENTS) throw new Error(`reader has ${count} documents after waitForDownload, expected ${DOCUMENTS}`);
          progress?.invalidate();
          realm.close();
          return { seconds, bytes };
        } finally {
          reader.close();
        }
      };
      const probe = await download('probe');
      const downloadBytes = probe.bytes;
      if (!(downloadBytes > 0)) throw new Error('the probe reader counted no download bytes');
      process.stderr.write(`  a new client downloads ${(downloadBytes / 1e6).toFixed(1)} MB\n`);

      const subjects = await measure({
        runtime: async (run) => {
          // Its own bytes: a fold between two readers changes how much of the partition comes as
          // state and how much as tail changesets, by a few percent.
          const { seconds, bytes } = await download(String(run));
          return { MBps: bytes / 1e6 / seconds, ms: seconds * 1000 };
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
                raw.send(JSON.stringify({ stream: { bytes: downloadBytes, frame: 1024 * 1024 } }));
              }),
              300_000,
              'raw bulk transfer',
            );
            const seconds = (now() - start) / 1000;
            if (received !== downloadBytes) throw new Error(`raw received ${received} of ${downloadBytes}`);
            return { MBps: downloadBytes / 1e6 / seconds, ms: seconds * 1000 };
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
        sizes: { documents: DOCUMENTS, uploadedBytes: totalBytes, downloadBytes },
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
