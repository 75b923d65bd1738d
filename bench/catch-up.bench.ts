/**
 * Catch-up after a reconnect (issue 13, D): a client that was away while others made N changes
 * (N = 100 … 10,000, one changeset each, overwriting 100 small documents) comes back; timed from its session's `resume()` until
 * the last of those changes is in its realm. Two curves, measured in the same run, interleaved:
 *
 * - **short history**: a partition new for each sample, its history before the client's cursor
 *   one changeset;
 * - **long history**: one partition whose history before the client's cursor is 100,000
 *   changesets (overwrites of the same 100 small documents, so its state stays small: what is
 *   long is the history, not the data), growing by each sample's N.
 *
 * The ratio long / short at equal N is the figure: catch-up should cost what changed since the
 * cursor, not the history's length, so it should stay ~1 (target ≤ 1.5×, for a shared machine's
 * noise). The writer and the server use `batched` durability (setup speed); the returning client
 * the runtime's default `full`, the same for both curves.
 */
import { measure, now, scaled, RUNS, SCALE, until, type Benchmark, type BenchReport, type RunFn, type Row } from './harness.js';
import { newClient, type Client } from './client.js';
import { spawnServer } from './server-child.js';
import type { Realm } from '../src/index.js';

const HISTORY = scaled(100_000, 1_000);
const MAX_CHANGES = scaled(10_000, 1_000);
const CHANGES = [100, 300, 1_000, 3_000, 10_000].filter((n) => n <= MAX_CHANGES);
const BODY = 'x'.repeat(100);
const LONG = 'catch-up-long';
const WAIT_MS = 600_000;

/** Documents the changes overwrite, in either partition: the realms' states stay this small. */
const CHANGED_DOCUMENTS = 100;

/** `count` changesets, each overwriting one of the changed documents with `tag`, then their upload (not timed). Returns the last id. */
async function writeChanges(realm: Realm, tag: string, count: number): Promise<string> {
  let last = '';
  for (let i = 0; i < count; i++) {
    const id = `c${i % CHANGED_DOCUMENTS}`;
    last = id;
    realm.write((tx) => tx.put('Doc', id, { n: i, tag, body: BODY }));
  }
  await realm.syncSession!.waitForUpload(AbortSignal.timeout(WAIT_MS));
  return last;
}

/** Pauses `reader`'s session, has `writer` make `count` changes, then times the reader's catch-up. */
async function timedCatchUp(reader: Realm, writer: Realm, tag: string, count: number): Promise<number> {
  const session = reader.syncSession!;
  session.pause();
  await until(() => session.state === 'paused', 10_000, 'reader paused');
  const last = await writeChanges(writer, tag, count);
  const arrived = (): boolean => reader.objectForPrimaryKey('Doc', last)?.tag === tag;
  // Anything of it already there would be a live download, not a catch-up.
  if (arrived()) throw new Error('the paused reader received changes');
  const start = now();
  session.resume();
  await until(arrived, WAIT_MS, `catch-up of ${count} changes`, 1);
  return now() - start;
}

/** Benchmark `catch-up` (issue 13, D). */
export const catchUp: Benchmark = {
  name: 'catch-up',
  title: `catch-up after N changes (${CHANGES.join(', ')}), history of 1 against ${HISTORY} changesets before the cursor`,
  async run(): Promise<BenchReport> {
    const server = await spawnServer({ durability: 'batched' });
    let writer: Client | undefined;
    let reader: Client | undefined;
    try {
      writer = await newClient(server.url, 'catch-up-writer', 'batched');
      reader = await newClient(server.url, 'catch-up-reader');
      const w = writer;
      const r = reader;
      const longWriter = await w.open(LONG);
      const started = Date.now();
      for (let i = 0; i < HISTORY; i++) longWriter.write((tx) => tx.put('Doc', `h${i % 100}`, { n: i, body: BODY }));
      await longWriter.syncSession!.waitForUpload(AbortSignal.timeout(WAIT_MS));
      const longReader = await r.open(LONG);
      await longReader.syncSession!.waitForDownload(AbortSignal.timeout(WAIT_MS));
      process.stderr.write(`  setup: ${HISTORY} changesets written and downloaded in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

      let sample = 0;
      const subjects: Record<string, RunFn> = {};
      for (const n of CHANGES) {
        subjects[`short${n}`] = async () => {
          const partition = `catch-up-short-${++sample}`;
          const shortWriter = await w.open(partition);
          try {
            await writeChanges(shortWriter, 'first', 1);
            const shortReader = await r.open(partition);
            try {
              await shortReader.syncSession!.waitForDownload(AbortSignal.timeout(WAIT_MS));
              return { ms: await timedCatchUp(shortReader, shortWriter, `s${sample}`, n) };
            } finally {
              shortReader.close();
            }
          } finally {
            shortWriter.close();
          }
        };
        subjects[`long${n}`] = async () => ({ ms: await timedCatchUp(longReader, longWriter, `l${++sample}`, n) });
      }
      const results = await measure(subjects);
      longReader.close();
      longWriter.close();
      const rows: Row[] = CHANGES.map((n) => {
        const value = results[`long${n}`]!.metrics.ms!;
        const baseline = results[`short${n}`]!.metrics.ms!;
        const ratio = value.median / baseline.median;
        return {
          metric: `catch-up after ${n} changes, ${HISTORY} changesets of history before the cursor`,
          unit: 'ms',
          value,
          baselineName: 'history of 1',
          baseline,
          ratio,
          target: '≤ 1.5×',
          met: ratio <= 1.5,
        };
      });
      const first = CHANGES[0]!;
      const lastN = CHANGES[CHANGES.length - 1]!;
      const slope = (kind: string): string => {
        const a = results[`${kind}${first}`]!.metrics.ms!.median;
        const b = results[`${kind}${lastN}`]!.metrics.ms!.median;
        return `${(((b - a) / (lastN - first)) * 1000).toFixed(0)} µs per change`;
      };
      return {
        benchmark: 'catch-up',
        title: this.title,
        scale: SCALE,
        runs: RUNS,
        sizes: { history: HISTORY, changes: CHANGES.join(', ') },
        subjects: results,
        rows,
        notes: [`slope from ${first} to ${lastN} changes: short history ${slope('short')}, long history ${slope('long')}`],
      };
    } finally {
      reader?.close();
      writer?.close();
      await server.close();
    }
  },
};
