/**
 * docs/SEMANTICS.md §5.7 for a `connection` error: the server could not store an upload and
 * says so with `internalError` ("send it again later"). What it was sent since its last
 * acknowledgement is not lost: the session waits the server's `backoffMs` on the same socket,
 * sends no commit meanwhile (`connection.connected.retryingUploads`: a changeset past the
 * unstored one would only be refused as a gap), then sends again from the last acknowledged
 * changeset (`uploading`, a new `upload` actor). The UPLOAD the server never got is lost at
 * the proxy, and the error is the proxy's, with a `backoffMs` the server's own does not name,
 * so the wait is short and known.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, InspectionEvent } from 'xstate';
import type { Changeset } from '../../src/protocol/index.js';
import { FaultProxy, type SeenUpload } from '../support/fault-proxy.js';
import { is, logIn, WireClient } from '../support/wire-client.js';
import { eventually, Harness } from './harness.js';

/** The wait the error asks for: long enough to commit in, short enough for a test. */
const BACKOFF_MS = 400;

/** The substate of `connection.connected` a snapshot is in, or the connection's own value. */
type ConnectionStep = 'retryingUploads' | 'uploading' | 'disconnected' | 'connecting';

/** Records, with `performance.now()`, each change of the session actor's `connection` region. */
function connectionRecorder() {
  const steps: Array<{ readonly at: number; readonly step: ConnectionStep; readonly retryDelayMs: number }> = [];
  const inspect = (event: InspectionEvent): void => {
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as AnyMachineSnapshot;
    if (snapshot.machine?.id !== 'session') return;
    const step: ConnectionStep = snapshot.matches({ connection: { connected: 'retryingUploads' } })
      ? 'retryingUploads'
      : snapshot.matches({ connection: { connected: 'uploading' } })
        ? 'uploading'
        : snapshot.matches({ connection: 'connecting' })
          ? 'connecting'
          : 'disconnected';
    const retryDelayMs = (snapshot.context as { uploadRetryDelayMs: number }).uploadRetryDelayMs;
    if (steps.at(-1)?.step !== step) steps.push({ at: performance.now(), step, retryDelayMs });
  };
  /** When the region first went to `step` after `since`, if it has. */
  const entered = (step: ConnectionStep, since: number): number | undefined => steps.find((s) => s.step === step && s.at >= since)?.at;
  return { steps, inspect, entered };
}

/** The ids a changeset writes. */
const idsOf = (changesets: readonly Changeset[]): string[] => changesets.flatMap((c) => c.ops.map((op) => op.id));

/** Reads the partition's whole history as a new file would, over a raw socket: every changeset the server holds. */
async function historyOf(url: string, partition: string): Promise<Changeset[]> {
  const login = await logIn(url);
  const wire = await WireClient.connect(url);
  try {
    wire.send({ type: 'bind', session: 1, partition, token: login.accessToken });
    wire.send({ type: 'ident', session: 1, fileIdent: '7e57ab1e7e57ab1e' });
    await wire.next(is('ident', 1));
    const changesets: Changeset[] = [];
    // Bounded: each DOWNLOAD names what is left, and the history is three changesets long.
    for (;;) {
      const download = await wire.next(is('download', 1));
      changesets.push(...download.changesets);
      if (download.downloadableBytes === 0) return changesets;
    }
  } finally {
    wire.close();
  }
}

let h: Harness | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await h?.close();
  proxy = undefined;
  h = undefined;
});

describe('internalError: an upload the server could not store goes again after its backoffMs', () => {
  it('an unacknowledged UPLOAD, then internalError with backoffMs: same socket, a commit meanwhile waits, then all is sent again from the last acknowledged changeset', async () => {
    h = await new Harness().start();
    proxy = await new FaultProxy(h.server.url).start();
    const chart = connectionRecorder();
    const app = h.app({ baseUrl: proxy.url, inspect: chart.inspect });
    const writer = await h.client('retry', {}, app);
    const session = writer.realm.syncSession!;
    await eventually(() => session.connectionState === 'connected', 'connected');
    writer.realm.write((tx) => tx.put('Task', 'acked', { n: 1 }));
    await session.waitForUpload(AbortSignal.timeout(10_000));

    // The server never sees this one, so never acknowledges it.
    proxy.dropUploads(1);
    writer.realm.write((tx) => tx.put('Task', 'lost', { n: 2 }));
    await eventually(() => proxy!.uploads.some((u) => u.dropped), 'the lost UPLOAD');
    const lost = proxy.uploads.find((u) => u.dropped)!;

    const injectedAt = performance.now();
    proxy.inject((s) => ({
      type: 'error',
      session: s,
      code: 'internalError',
      category: 'connection',
      isFatal: false,
      tryAgain: true,
      message: 'the server could not store the upload; send it again later',
      backoffMs: BACKOFF_MS,
    }));
    await eventually(() => chart.entered('retryingUploads', injectedAt) !== undefined, 'retryingUploads');
    const waitStart = chart.entered('retryingUploads', injectedAt)!;
    writer.realm.write((tx) => tx.put('Task', 'during', { n: 3 }));
    const committedAt = performance.now();
    const duringWait = { state: session.state, connection: session.connectionState };
    await eventually(() => chart.entered('uploading', waitStart) !== undefined, 'uploading again');
    const waitEnd = chart.entered('uploading', waitStart)!;
    await session.waitForUpload(AbortSignal.timeout(10_000));
    const afterWait = { state: session.state, connection: session.connectionState };

    const reader = await h.client('retry');
    await reader.realm.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
    const readerIds = reader.realm.objects('Task').map((o) => o.id).sort();
    const history = idsOf(await historyOf(h.server.url, 'retry')).sort();

    const inWait = proxy.uploads.filter((u) => u.at >= injectedAt && u.at < waitEnd);
    const afterIt = proxy.uploads.filter((u) => u.at >= waitEnd);
    const versions = (uploads: SeenUpload[]) => uploads.flatMap((u) => u.changesets.map((c) => c.clientVersion));
    const codes = writer.errors.map((e) => `${e.code}/${e.category}/${e.isFatal ? 'fatal' : 'non-fatal'}`);
    console.log(
      `upload retry: backoffMs ${BACKOFF_MS}, retryingUploads for ${Math.round(waitEnd - waitStart)} ms (commit ${Math.round(committedAt - waitStart)} ms in); ` +
        `UPLOAD frames: ${proxy.uploads.length} in all, 1 lost (client versions ${JSON.stringify(versions([lost]))}), ${inWait.length} during the wait, ` +
        `${afterIt.length} after it (client versions ${JSON.stringify(versions(afterIt))}); sockets ${String(h.sockets.get(app))}; ` +
        `chart ${chart.steps.map((s) => s.step).join(' → ')}; errors ${JSON.stringify(codes)}; history ${JSON.stringify(history)}`,
    );

    // (a) Still syncing, on the socket it had: the error closed nothing.
    expect(duringWait).toEqual({ state: 'active', connection: 'connected' });
    expect(afterWait).toEqual({ state: 'active', connection: 'connected' });
    expect(h.sockets.get(app)).toBe(1);
    expect(chart.steps.map((s) => s.step)).toEqual(['disconnected', 'connecting', 'uploading', 'retryingUploads', 'uploading']);
    // The chart waits what the server asked: its delay, not a measured time (timings are bench/'s).
    expect(chart.steps.find((s) => s.step === 'retryingUploads')?.retryDelayMs).toBe(BACKOFF_MS);
    // (b) The commit was made during the wait, and nothing went out until the wait was over.
    expect(committedAt).toBeLessThan(waitEnd);
    expect(inWait).toEqual([]);
    // (c) Sent again from the last acknowledged changeset: the lost one first, then the commit
    // made meanwhile, each once; the server holds every object once and the reader has them all.
    expect(versions(afterIt)).toEqual([lost.changesets[0]!.clientVersion, lost.changesets[0]!.clientVersion + 1]);
    expect(idsOf(afterIt.flatMap((u) => u.changesets))).toEqual(['lost', 'during']);
    expect(readerIds).toEqual(['acked', 'during', 'lost']);
    expect(history).toEqual(['acked', 'during', 'lost']);
    // (d) Reported, and not as the end of the session.
    expect(writer.errors).toHaveLength(1);
    expect(writer.errors[0]).toMatchObject({ name: 'SyncError', code: 'internalError', category: 'connection', isFatal: false });
  }, 30_000);
});
