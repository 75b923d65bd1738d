/**
 * A client that binds many sessions at cursor 0 on a partition with a big state and then stops
 * reading must not make the server hold a state file descriptor per session: each state read
 * pins its generation's file while it waits for the socket to drain.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type SyncServer } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { useServerDir } from '../support/server-dir.js';
import { eventually } from '../support/eventually.js';
import { bindSession, is, logIn, WireClient } from '../support/wire-client.js';

const { dir, sockets, start } = useServerDir('state-readers');
let server: SyncServer | undefined;

/** Descriptors of this process open on a partition's state file (also one a fold replaced since). */
const stateDescriptors = (): number =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return /\/partitions\/[^/]+\/state( \(deleted\))?$/.test(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false;
    }
  }).length;

describe('state reads a socket that does not read can pin', () => {
  it('200 sessions bootstrapping a 2 MB state on one socket that stops reading hold at most one state file open', { timeout: 120_000 }, async () => {
    server = await start({ downloadBatchBytes: 4 * 1024 });
    const user = await logIn(server.url);
    const { client: writer } = await bindSession(server.url, user.accessToken, 'writer', sockets, 'big');
    const N = 2_000;
    for (let v = 1; v <= N; v += 200) {
      const changesets = Array.from({ length: 200 }, (_, i) => putTask('writer', v + i, `t${v + i}`, { pad: 'x'.repeat(1_000) }));
      writer.send({ type: 'upload', session: 1, changesets, progress: { clientVersion: 0, serverVersion: 0 } });
      await writer.next((m) => m.type === 'download' && m.uploadAck === v + 199, 60_000);
    }
    const report = await server.compactPartition('big');
    expect(report.documents).toBe(N);

    const reader = await WireClient.connect(server.url);
    sockets.push(reader);
    const SESSIONS = 200;
    for (let s = 1; s <= SESSIONS; s++) reader.send({ type: 'bind', session: s, partition: 'big', token: user.accessToken });
    reader.send({ type: 'ident', session: 1, fileIdent: 'reader-1' });
    await reader.next(is('state', 1), 30_000);
    // The client stops reading: TCP fills up, then the server's send buffer.
    ((reader.socket as unknown as { _socket: Socket })._socket).pause();
    for (let s = 2; s <= SESSIONS; s++) reader.send({ type: 'ident', session: s, fileIdent: `reader-${s}` });
    let peak = 0;
    // Bounded: 100 samples, 20 ms apart.
    for (let i = 0; i < 100; i++) {
      peak = Math.max(peak, stateDescriptors());
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const unsent = server.sockets().reduce((max, s) => Math.max(max, s.unsentBytes), 0);
    console.log(`state readers: ${SESSIONS} sessions on a non-reading socket, ${report.stateBytes} bytes of state; peak ${peak} state descriptor(s), ${unsent} bytes unsent`);
    expect(unsent).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(1);
    ((reader.socket as unknown as { _socket: Socket })._socket).resume();
    await eventually(() => stateDescriptors() === 0, 'the state reads end', 60_000);
  });
});
