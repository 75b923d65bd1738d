import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type SyncServer } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { useServerDir } from '../support/server-dir.js';
import { bindSession, is, logIn, WireClient } from '../support/wire-client.js';

const { dir, sockets, start } = useServerDir('rebind-cost');
let server: SyncServer | undefined;

/** Bytes this process has read through read(2) and friends so far (Linux: /proc/self/io). */
const bytesRead = (): number => Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

describe('binding a partition again right after its last session ended does not read its history again', () => {
  it('50 BIND+UNBIND pairs on a 3 MB history read it at most once', { timeout: 120_000 }, async () => {
    server = await start({ now: () => 1_000 });
    const user = await logIn(server.url);
    const { client: writer } = await bindSession(server.url, user.accessToken, 'writer', sockets, 'big');
    const N = 10_000;
    const BATCH = 1_000;
    for (let v = 1; v <= N; v += BATCH) {
      const changesets = Array.from({ length: BATCH }, (_, i) => putTask('writer', v + i, `t${v + i}`, { pad: 'x'.repeat(100) }));
      writer.send({ type: 'upload', session: 1, changesets, progress: { clientVersion: 0, serverVersion: 0 } });
      await writer.next((m) => m.type === 'download' && m.uploadAck === v + BATCH - 1, 60_000);
    }
    writer.send({ type: 'unbind', session: 1 });
    await writer.next(is('unbound', 1));
    // The partition's files: its state and tail segments.
    const partitionDir = join(dir, 'partitions', readdirSync(join(dir, 'partitions')).find((name) => name.startsWith('big-'))!);
    const historyBytes = readdirSync(partitionDir).reduce((sum, name) => sum + statSync(join(partitionDir, name)).size, 0);

    const client = await WireClient.connect(server.url);
    sockets.push(client);
    const PAIRS = 50;
    const before = bytesRead();
    for (let i = 0; i < PAIRS; i++) {
      client.send({ type: 'bind', session: 2, partition: 'big', token: user.accessToken });
      client.send({ type: 'unbind', session: 2 });
      await client.next(is('unbound', 2), 60_000);
    }
    const read = bytesRead() - before;
    console.log(`rebind-cost: history ${historyBytes} bytes (${N} changesets); ${PAIRS} BIND+UNBIND pairs read ${read} bytes (${(read / historyBytes).toFixed(1)} × the history)`);
    expect(historyBytes).toBeGreaterThan(1_000_000);
    expect(read).toBeLessThan(2 * historyBytes);
  });
});
