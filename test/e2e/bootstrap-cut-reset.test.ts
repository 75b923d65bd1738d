/**
 * A bootstrap cut before its closing DOWNLOAD leaves the file at download cursor 0 holding the
 * `state` documents it merged. If the partition's history is replaced meanwhile, that file must
 * be reset like any other that holds something of the old epoch: its IDENT says `merged`. Taken
 * for a file that holds nothing, it would keep documents the new epoch does not have, shown to
 * its user and never corrected. A real server and client; the client's transport cuts the socket
 * right after the first `state` frame and refuses to reconnect until the test lets it.
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

/** wsTransport that drops the socket after the first `state` frame it delivers, then refuses sockets while `refusing`. */
function cuttingTransport(): { transport: Transport; allow(): void; cut(): boolean } {
  let cutDone = false;
  let refusing = false;
  const transport: Transport = {
    connect(url, handlers): TransportSocket {
      if (refusing) {
        setTimeout(() => handlers.closed('refused by the test'), 0);
        return { send: () => undefined, close: () => undefined };
      }
      let dropping = false;
      const socket = wsTransport.connect(url, {
        open: () => handlers.open(),
        frame: (text) => {
          if (dropping) return;
          handlers.frame(text);
          if (!cutDone && text.includes('"type":"state"')) {
            cutDone = true;
            refusing = true;
            dropping = true;
            socket.close();
          }
        },
        closed: (reason) => handlers.closed(reason),
      });
      return socket;
    },
  };
  return { transport, allow: () => void (refusing = false), cut: () => cutDone };
}

describe('a bootstrap cut before its DOWNLOAD, then the partition deleted', () => {
  it('the client is reset and keeps none of the merged documents of the old epoch', async () => {
    h = await new Harness().start({ downloadBatchBytes: 4_096 });
    const writer = await h.client('p');
    writer.realm.write((tx) => {
      for (let i = 0; i < DOCUMENTS; i++) tx.put('Doc', `d${i}`, { body: 'x'.repeat(1_000) });
    });
    await writer.realm.syncSession!.waitForUpload(AbortSignal.timeout(10_000));
    await h.server.compactPartition('p');
    writer.realm.close();

    const { transport, allow, cut } = cuttingTransport();
    const resets: string[] = [];
    const reader = await h.client(
      'p',
      { clientReset: { mode: 'discardUnsyncedChanges', onBefore: () => void resets.push('before'), onAfter: () => void resets.push('after') } },
      h.app({ transport }),
    );
    await eventually(() => cut() && reader.realm.objects('Doc').length > 0, 'the first state frame merged');
    const merged = reader.realm.objects('Doc').length;
    // Mid-bootstrap: some of the documents, not all (the frames hold 4 KiB each).
    expect(merged).toBeLessThan(DOCUMENTS);

    await h.server.deletePartition('p');
    allow();
    await eventually(() => resets.length === 2, 'the reset callbacks');
    await reader.realm.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
    expect(reader.realm.objects('Doc')).toEqual([]);
    expect(resets).toEqual(['before', 'after']);
    console.log(`bootstrap cut after ${merged} of ${DOCUMENTS} documents; the reset left none`);
  });
});
