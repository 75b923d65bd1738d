import { readdirSync, readlinkSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/protocol/index.js';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { eventually } from '../support/eventually.js';
import { is, logIn, WireClient, type Login } from '../support/wire-client.js';

let dir: string;
let server: SyncServer;
let user: Login;
const sockets: WireClient[] = [];

/** Files under the data dir this process holds open (the server runs in it). */
const openDataFiles = (): string[] =>
  readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(dir) && target.endsWith('.log'));

async function open(): Promise<WireClient> {
  const c = await WireClient.connect(server.url);
  sockets.push(c);
  return c;
}

async function bound(c: WireClient, partition: string, fileIdent: string, token = user.accessToken, session = 1) {
  c.send({ type: 'bind', session, partition, token });
  c.send({ type: 'ident', session, fileIdent });
  return c.next((m) => m.type === 'ident' || m.type === 'error');
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hostile-'));
  server = await startServer({ dataDir: dir });
  user = await logIn(server.url);
});
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close());
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends raw bytes on a TCP connection to the server and returns what came back. */
function rawHttp(bytes: string, reset = false): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(server.port, '127.0.0.1', () => {
      socket.write(bytes);
      if (reset) socket.resetAndDestroy();
    });
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
  });
}

describe('hostile clients', () => {
  it('an unparseable upgrade path and connections reset mid-handshake do not take the server down', async () => {
    const answer = await rawHttp('GET // HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 (400|404)/);
    await Promise.all(Array.from({ length: 50 }, () => rawHttp('GET /nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n', true)));
    const c = await open();
    expect(await bound(c, 'p', 'still-alive')).toMatchObject({ type: 'ident' });
  });

  it(`a field nested deeper than ${MAX_JSON_DEPTH} levels is badMessage; one at the limit is stored and served`, async () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);
    const c = await open();
    await bound(c, 'p', 'deep');
    const ok = { ...putTask('deep', 1, 'x'), ops: [{ op: 'put' as const, type: 'T', id: 'x', fields: { v: nest(MAX_JSON_DEPTH - 1) as never } }] };
    c.send({ type: 'upload', session: 1, changesets: [ok], progress: { clientVersion: 1, serverVersion: 0 } });
    await c.next((m) => m.type === 'download' && m.uploadAck === 1);
    const reader = await open();
    await bound(reader, 'p', 'reader');
    const served = await reader.next(is('download', 1));
    expect(served.type === 'download' && served.changesets).toHaveLength(1);
    const deep = `${'['.repeat(5_000)}1${']'.repeat(5_000)}`;
    const frame = JSON.stringify({ type: 'upload', session: 1, changesets: [{ ...putTask('deep', 2, 'y'), ops: [{ op: 'put', type: 'T', id: 'y', fields: { v: 'DEEP' } }] }], progress: { clientVersion: 2, serverVersion: 0 } });
    c.sendRaw(frame.replace('"DEEP"', deep));
    expect(await c.next(is('error', 1))).toMatchObject({ code: 'badMessage' });
  });

  it("a file ident belongs to the user who uploaded from it: another user cannot speak for it", async () => {
    const alice = await open();
    await bound(alice, 'p', 'alice-file');
    alice.send({ type: 'upload', session: 1, changesets: [putTask('alice-file', 1, 'a1')], progress: { clientVersion: 1, serverVersion: 0 } });
    await alice.next((m) => m.type === 'download' && m.uploadAck === 1);
    const mallory = await logIn(server.url);
    const m = await open();
    expect(await bound(m, 'p', 'alice-file', mallory.accessToken)).toMatchObject({ type: 'error', code: 'permissionDenied' });
    const again = await open();
    expect(await bound(again, 'p', 'alice-file')).toMatchObject({ type: 'ident' }); // alice herself may
  });

  it('revoking a user ends its bound sessions at once with badToken; it receives nothing more', async () => {
    const eve = await logIn(server.url);
    const e = await open();
    await bound(e, 'p', 'eve-file', eve.accessToken);
    await e.next(is('download', 1));
    await server.revokeUser(eve.userId);
    expect(await e.next(is('error', 1))).toMatchObject({ code: 'badToken', category: 'auth' });
    const writer = await open();
    await bound(writer, 'p', 'writer');
    writer.send({ type: 'upload', session: 1, changesets: [putTask('writer', 1, 'secret')], progress: { clientVersion: 1, serverVersion: 0 } });
    await writer.next((m) => m.type === 'download' && m.uploadAck === 1);
    e.send({ type: 'ping', timestamp: 1 });
    await e.next(is('pong'));
    expect(e.received.filter((m) => m.type === 'download')).toEqual([]);
  });

  it('a partition nobody is bound to holds no open file, and close() leaves none', async () => {
    for (let i = 0; i < 20; i++) {
      const c = await open();
      await bound(c, `partition-${i}`, `f${i}`);
      c.close();
      await c.closed;
    }
    await eventually(() => openDataFiles().length === 0, 'every history file closed', 2_000);
    const live = await open();
    await bound(live, 'kept', 'k');
    // A history is created with its first upload (histories are created lazily).
    expect(openDataFiles()).toHaveLength(0);
    live.send({ type: 'upload', session: 1, changesets: [putTask('k', 1, 'k1')], progress: { clientVersion: 1, serverVersion: 0 } });
    await live.next((m) => m.type === 'download' && m.uploadAck === 1);
    expect(openDataFiles()).toHaveLength(1);
    const shutdownNotice = live.next(is('error'));
    await server.close();
    expect(await shutdownNotice).toMatchObject({ code: 'serverShuttingDown', category: 'connection', tryAgain: true });
    expect(openDataFiles()).toEqual([]);
    server = await startServer({ dataDir: dir }); // for afterEach; the data dir opens again cleanly
  });
});
