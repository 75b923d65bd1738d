/**
 * A bootstrap is applied whole: a new client's realm shows none of the partition's `state`
 * documents until the DOWNLOAD that ends their batch, then all of them in one change. And a
 * bootstrap cut before that DOWNLOAD, whose partition is then deleted, leaves nothing of the old
 * epoch: the staged documents are discarded when the client takes the new epoch, with no reset.
 * A real server and client; the client's transport holds or cuts the socket right after the
 * first `state` frame.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Transport, TransportSocket } from '../../src/index.js';
import { wsTransport } from '../../src/transport/ws-transport.js';
import { eventually, Harness } from './harness.js';

const DOCUMENTS = 50;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * wsTransport that, after the first `state` frame it delivers, either holds every later frame
 * until `release()` (`hold`) or drops the socket and refuses new ones until `release()` (`cut`).
 */
function interceptingTransport(mode: 'hold' | 'cut'): { transport: Transport; release(): void; tripped(): boolean } {
  let tripped = false;
  let refusing = false;
  let flush: (() => void) | undefined;
  const transport: Transport = {
    connect(url, handlers): TransportSocket {
      if (refusing) {
        setTimeout(() => handlers.closed('refused by the test'), 0);
        return { send: () => undefined, close: () => undefined };
      }
      const held: string[] = [];
      let holding = false;
      const socket = wsTransport.connect(url, {
        open: () => handlers.open(),
        frame: (text) => {
          if (holding) {
            if (mode === 'hold') held.push(text);
            return;
          }
          handlers.frame(text);
          if (!tripped && text.includes('"type":"state"')) {
            tripped = true;
            holding = true;
            if (mode === 'cut') {
              refusing = true;
              socket.close();
            } else {
              flush = () => {
                holding = false;
                for (const frame of held.splice(0)) handlers.frame(frame);
              };
            }
          }
        },
        closed: (reason) => handlers.closed(reason),
      });
      return socket;
    },
  };
  return {
    transport,
    release: () => {
      refusing = false;
      flush?.();
    },
    tripped: () => tripped,
  };
}

/** A partition of `DOCUMENTS` documents of ~1 KB, folded into its state, its writer gone. */
async function partitionInState(): Promise<Harness> {
  const harness = await new Harness().start({ downloadBatchBytes: 4_096 });
  const writer = await harness.client('p');
  writer.realm.write((tx) => {
    for (let i = 0; i < DOCUMENTS; i++) tx.put('Doc', `d${i}`, { body: 'x'.repeat(1_000) });
  });
  await writer.realm.syncSession!.waitForUpload(AbortSignal.timeout(10_000));
  await harness.server.compactPartition('p');
  writer.realm.close();
  return harness;
}

describe('bootstrap from the partition state', () => {
  it('a new client sees none of the documents until the batch ends, then all of them in one change', async () => {
    h = await partitionInState();
    const { transport, release, tripped } = interceptingTransport('hold');
    const reader = await h.client('p', {}, h.app({ transport }));
    const seen: number[] = [];
    reader.realm.addListener(() => seen.push(reader.realm.objects('Doc').length));
    await eventually(() => tripped(), 'the first state frame');
    // Several frames make the batch (4 KiB each); the first is in the file, staged, not shown.
    expect(reader.realm.objects('Doc')).toEqual([]);
    release();
    await reader.realm.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
    expect(reader.realm.objects('Doc')).toHaveLength(DOCUMENTS);
    expect(seen).toEqual([DOCUMENTS]);
  });

  it('cut before its DOWNLOAD, then the partition deleted: the client keeps none of the old documents, and is not reset', async () => {
    h = await partitionInState();
    const { transport, release, tripped } = interceptingTransport('cut');
    const resets: string[] = [];
    const reader = await h.client(
      'p',
      { clientReset: { mode: 'discardUnsyncedChanges', onBefore: () => void resets.push('before'), onAfter: () => void resets.push('after') } },
      h.app({ transport }),
    );
    await eventually(() => tripped(), 'the first state frame');
    expect(reader.realm.objects('Doc')).toEqual([]);
    await h.server.deletePartition('p');
    release();
    await eventually(() => reader.realm.syncSession!.connectionState === 'connected', 'the reconnect');
    await reader.realm.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
    reader.realm.write((tx) => tx.put('Doc', 'new', { n: 1 }));
    await reader.realm.syncSession!.waitForUpload(AbortSignal.timeout(10_000));
    expect(reader.realm.objects('Doc').map((o) => o.id)).toEqual(['new']);
    expect(resets).toEqual([]);
    expect(reader.errors).toEqual([]);
    // The server agrees: a fresh client sees only the new document.
    const fresh = await h.client('p');
    await fresh.realm.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
    expect(fresh.realm.objects('Doc').map((o) => o.id)).toEqual(['new']);
  });
});
