import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/protocol/index.js';
import { startServer, SUBPROTOCOL, type SyncServer } from '../../src/server/index.js';
import type { Logger } from '../../src/store/logger.js';
import { putTask } from '../support/changesets.js';
import { eventually } from '../support/eventually.js';
import { is, logIn, WireClient, type Login } from '../support/wire-client.js';

const LIMIT = 256 * 1024;
/** Loopback kernel buffers (the server's send buffer grows to tcp_wmem's 4 MiB) fill before the server's own. */
const KERNEL_BYTES = 8 * 1024 * 1024;

let dir: string;
let server: SyncServer;
let user: Login;
let warnings: Array<{ message: string; details?: Record<string, unknown> }>;
const cleanups: Array<() => void> = [];

const logger: Logger = { info: () => undefined, warn: (message, details) => warnings.push({ message, ...(details === undefined ? {} : { details }) }) };

beforeEach(async () => {
  warnings = [];
  dir = mkdtempSync(join(tmpdir(), 'unread-'));
  server = await startServer({
    dataDir: dir,
    logger,
    maxMessageBytes: 64 * 1024,
    downloadBatchBytes: 16 * 1024,
    maxSocketBufferBytes: LIMIT,
    // This file is about the send buffer; the frame rate has its own test.
    maxFramesPerSecond: 10_000_000,
  });
  user = await logIn(server.url);
});
afterEach(async () => {
  cleanups.splice(0).forEach((cleanup) => cleanup());
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw client socket with session 1 bound and identified, then reading nothing more. */
async function nonReader(): Promise<WebSocket> {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/sync`, SUBPROTOCOL);
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const identified = new Promise<void>((resolve) => ws.on('message', (data: Buffer) => data.toString().includes('"type":"ident"') && resolve()));
  ws.send(encodeMessage({ type: 'bind', session: 1, partition: 'p', token: user.accessToken }, 'client'));
  ws.send(encodeMessage({ type: 'ident', session: 1, fileIdent: 'idle' }, 'client'));
  await identified;
  (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  return ws;
}

const kinds = {
  // An 8 KiB request id comes back in every answer.
  MARK: { frame: encodeMessage({ type: 'mark', session: 1, requestId: 'r'.repeat(8 * 1024) }, 'client'), replyBytes: 8 * 1024 },
  PONG: { frame: encodeMessage({ type: 'ping', timestamp: 1_764_081_000_123 }, 'client'), replyBytes: 40 },
  ERROR: { frame: encodeMessage({ type: 'mark', session: 77, requestId: 'x' }, 'client'), replyBytes: 150 },
} as const;

describe('a client that does not read', () => {
  it.each(Object.keys(kinds) as Array<keyof typeof kinds>)(
    'is closed once the %s replies waiting for it pass maxSocketBufferBytes; the server holds no more, and others go on syncing',
    async (kind) => {
      const { frame, replyBytes } = kinds[kind];
      const reader = await WireClient.connect(server.url);
      cleanups.push(() => reader.close());
      reader.send({ type: 'bind', session: 1, partition: 'p', token: user.accessToken });
      reader.send({ type: 'ident', session: 1, fileIdent: 'reader' });
      await reader.next(is('download', 1));
      const ws = await nonReader();
      expect(server.sockets()).toHaveLength(2);

      // Bounded: enough frames for every reply to fill the kernel's buffers and the limit twice over.
      const maxFrames = Math.ceil((KERNEL_BYTES + 2 * LIMIT) / replyBytes) * 2;
      const closed = () => warnings.some((w) => w.message.includes('does not read'));
      // The other client syncs about ten times while the kernel's buffers fill.
      const uploadEvery = 200 * Math.max(1, Math.floor(maxFrames / 40 / 200));
      let sent = 0;
      let peak = 0;
      let uploads = 0;
      while (sent < maxFrames && !closed()) {
        for (let i = 0; i < 200; i++) ws.send(frame);
        sent += 200;
        // Let the server (in this process) read them, and keep this client's own buffer small.
        await new Promise((resolve) => setImmediate(resolve));
        for (let wait = 0; wait < 1_000 && ws.bufferedAmount > 1024 * 1024; wait++) await new Promise((resolve) => setTimeout(resolve, 1));
        peak = Math.max(peak, ...server.sockets().map((s) => s.unsentBytes));
        if (sent % uploadEvery === 0 && uploads < 5) {
          // The other client syncs in the middle of the flood.
          uploads++;
          reader.send({ type: 'upload', session: 1, changesets: [putTask('reader', uploads, `t${uploads}`)], progress: { clientVersion: uploads, serverVersion: 0 } });
          await reader.next((m) => m.type === 'download' && m.uploadAck === uploads, 30_000);
        }
      }
      const warning = warnings.find((w) => w.message.includes('does not read'));
      console.info(`${kind}: ${sent} frames sent; the server closed the socket at ${String(warning?.details?.unsentBytes)} unsent bytes (limit ${LIMIT}); peak sampled ${peak}; the other client's uploads acknowledged meanwhile: ${uploads}`);
      expect(warning, `closed within ${maxFrames} frames (sampled peak ${peak} bytes unsent)`).toBeDefined();
      // At most one reply past the limit: the check follows every send.
      expect(warning!.details!.unsentBytes as number).toBeLessThanOrEqual(LIMIT + replyBytes + 1024);
      expect(peak).toBeLessThanOrEqual(LIMIT + replyBytes + 1024);
      await eventually(() => server.sockets().length === 1, 'the non-reading socket gone from the server', 10_000);

      const next = uploads + 1;
      reader.send({ type: 'upload', session: 1, changesets: [putTask('reader', next, `t${next}`)], progress: { clientVersion: next, serverVersion: 0 } });
      await reader.next((m) => m.type === 'download' && m.uploadAck === next, 30_000);
      reader.send({ type: 'mark', session: 1, requestId: 'after' });
      await reader.next(is('mark', 1), 30_000);
    },
  );
});

describe('a client that sends too many frames', () => {
  it('gets tooManyFrames and is closed (1008) once over maxFramesPerSecond; another socket goes on', async () => {
    await server.close();
    server = await startServer({ dataDir: dir, logger, maxFramesPerSecond: 50 });
    user = await logIn(server.url);
    const calm = await WireClient.connect(server.url);
    cleanups.push(() => calm.close());
    const flooder = await WireClient.connect(server.url);
    cleanups.push(() => flooder.close());
    // Sent in one go: a burst of one second's worth is allowed, the rest is over the rate.
    for (let i = 0; i < 500; i++) flooder.send({ type: 'ping', timestamp: i });
    const error = await flooder.next(is('error'), 10_000);
    expect(error).toMatchObject({ code: 'tooManyFrames', category: 'connection', tryAgain: true });
    expect(await flooder.closed).toMatchObject({ code: 1008, reason: 'too many frames' });
    const pongs = flooder.received.filter((m) => m.type === 'pong').length;
    console.info(`500 pings in a burst at maxFramesPerSecond 50: ${pongs} answered before tooManyFrames`);
    expect(pongs).toBeLessThanOrEqual(60);
    calm.send({ type: 'ping', timestamp: 1 });
    expect(await calm.next(is('pong'))).toMatchObject({ timestamp: 1 });
  });
});

describe('a client that sends faster than the server handles', () => {
  it('is not read past maxSocketBufferBytes of unhandled frames, and all of it is handled in the end', async () => {
    await server.close();
    // batched: each upload waits for the tick's fsync, so frames queue up behind it.
    server = await startServer({ dataDir: dir, logger, durability: 'batched', maxMessageBytes: 64 * 1024, downloadBatchBytes: 16 * 1024, maxSocketBufferBytes: LIMIT, maxFramesPerSecond: 10_000_000 });
    user = await logIn(server.url);
    const c = await WireClient.connect(server.url);
    cleanups.push(() => c.close());
    c.send({ type: 'bind', session: 1, partition: 'p', token: user.accessToken });
    c.send({ type: 'ident', session: 1, fileIdent: 'fast' });
    await c.next(is('download', 1));
    const uploads = 1_500;
    const text = 'x'.repeat(4 * 1024);
    let frameBytes = 0;
    for (let v = 1; v <= uploads; v++) {
      const frame = encodeMessage({ type: 'upload', session: 1, changesets: [putTask('fast', v, `t${v}`, { text })], progress: { clientVersion: v, serverVersion: 0 } }, 'client');
      frameBytes = Math.max(frameBytes, frame.length);
      c.sendRaw(frame);
    }
    await c.next((m) => m.type === 'download' && m.uploadAck === uploads, 120_000);
    const { peakUnhandledBytes } = server.sockets()[0]!;
    console.info(`${uploads} uploads of ${frameBytes} bytes sent at once (${uploads * frameBytes} bytes): at most ${peakUnhandledBytes} bytes of them waited in the server (limit ${LIMIT}); all acknowledged`);
    // Past the limit by at most what the socket had read already (one 64 KiB read, and the frame it ends in).
    expect(peakUnhandledBytes).toBeLessThanOrEqual(LIMIT + 64 * 1024 + 2 * frameBytes);
  });
});
