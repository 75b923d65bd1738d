import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { putTask } from '../support/changesets.js';
import { is, logIn, WireClient, type Login } from '../support/wire-client.js';

let dir: string;
let server: SyncServer;
let user: Login;
/** A session that uploads after every bad input, to show the server still serves others. */
let witness: WireClient;
let witnessVersion = 0;

const MAX = 64 * 1024;

async function bound(client: WireClient, session: number, partition: string, token: string, fileIdent: string) {
  client.send({ type: 'bind', session, partition, token });
  client.send({ type: 'ident', session, fileIdent });
  await client.next(is('ident', session));
  return client.next(is('download', session));
}

/** The witness still uploads and is acknowledged, and a fresh reader gets every witness change. */
async function othersKeepWorking(): Promise<void> {
  witnessVersion++;
  witness.send({ type: 'upload', session: 1, changesets: [putTask('witness', witnessVersion, `w${witnessVersion}`)], progress: { clientVersion: witnessVersion, serverVersion: 0 } });
  const ack = await witness.next((m) => m.type === 'download' && m.uploadAck === witnessVersion);
  expect(ack.type).toBe('download');
  const reader = await WireClient.connect(server.url);
  const first = await bound(reader, 1, 'p', user.accessToken, `reader-${witnessVersion}`);
  const seen = first.type === 'download' ? first.changesets.filter((c) => c.origin === 'witness').length : 0;
  expect(seen).toBe(witnessVersion); // nothing stored before was lost
  reader.close();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sync-server-'));
  server = await startServer({
    dataDir: dir,
    maxMessageBytes: MAX,
    permissions: (_user, partition) => (partition === 'secret' ? 'none' : partition === 'readonly' ? 'read' : 'readWrite'),
  });
  user = await logIn(server.url);
  witness = await WireClient.connect(server.url);
  await bound(witness, 1, 'p', user.accessToken, 'witness');
});

afterAll(async () => {
  witness.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the server answers bad input clearly and loses nothing', () => {
  it('bytes that are not JSON: badJson (protocol), the socket is closed', async () => {
    const c = await WireClient.connect(server.url);
    c.sendRaw(Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
    const error = await c.next(is('error'));
    expect(error).toMatchObject({ code: 'badJson', category: 'protocol', isFatal: true });
    expect(error).not.toHaveProperty('session');
    expect((await c.closed).code).toBe(1002);
    await othersKeepWorking();
  });

  it('an unknown message type: unknownMessage (protocol), the socket is closed', async () => {
    const c = await WireClient.connect(server.url);
    c.sendRaw('{"type":"gossip","session":1}');
    expect(await c.next(is('error'))).toMatchObject({ code: 'unknownMessage', category: 'protocol' });
    expect((await c.closed).code).toBe(1002);
    await othersKeepWorking();
  });

  it('a known type with a wrong field: badMessage for that session only; its sibling on the socket goes on', async () => {
    const c = await WireClient.connect(server.url);
    await bound(c, 1, 'p', user.accessToken, 'bad-field');
    await bound(c, 2, 'p', user.accessToken, 'sibling');
    c.sendRaw(JSON.stringify({ type: 'upload', session: 1, changesets: [{ clientVersion: 1, origin: 'bad-field', hlc: { wall: 1, counter: 0 }, ops: [{ op: 'pat', type: 'T', id: 'x' }] }], progress: { clientVersion: 1, serverVersion: 0 } }));
    const error = await c.next(is('error', 1));
    expect(error).toMatchObject({ code: 'badMessage', category: 'protocol', session: 1 });
    expect(error.message).toContain('changesets.0.ops.0');
    c.send({ type: 'mark', session: 1, requestId: 'm1' });
    expect(await c.next(is('error', 1))).toMatchObject({ code: 'unknownSession' });
    c.send({ type: 'mark', session: 2, requestId: 'm2' });
    expect(await c.next(is('mark', 2))).toMatchObject({ requestId: 'm2' });
    c.close();
    await othersKeepWorking();
  });

  it('a message for a session never bound: unknownSession, the socket stays open', async () => {
    const c = await WireClient.connect(server.url);
    c.send({ type: 'mark', session: 9, requestId: 'x' });
    expect(await c.next(is('error'))).toMatchObject({ code: 'unknownSession', category: 'protocol', session: 9 });
    c.send({ type: 'ping', timestamp: 42 });
    expect(await c.next(is('pong'))).toEqual({ type: 'pong', timestamp: 42 });
    c.close();
    await othersKeepWorking();
  });

  it('a cursor that goes backwards: badCursor, and the session ends', async () => {
    const c = await WireClient.connect(server.url);
    await bound(c, 1, 'p', user.accessToken, 'backwards');
    c.send({ type: 'upload', session: 1, changesets: [putTask('backwards', 1, 'b1'), putTask('backwards', 2, 'b2')], progress: { clientVersion: 2, serverVersion: 0 } });
    await c.next((m) => m.type === 'download' && m.uploadAck === 2);
    c.send({ type: 'upload', session: 1, changesets: [], progress: { clientVersion: 1, serverVersion: 0 } });
    expect(await c.next(is('error', 1))).toMatchObject({ code: 'badCursor', category: 'protocol' });
    c.close();
    // The two accepted changesets stay: a reader sees them with the witness's.
    const reader = await WireClient.connect(server.url);
    const first = await bound(reader, 1, 'p', user.accessToken, 'reader-backwards');
    expect(first.type === 'download' && first.changesets.filter((x) => x.origin === 'backwards').length).toBe(2);
    reader.close();
  });

  it('a message over maxMessageBytes: messageTooBig, closed with 1009', async () => {
    const c = await WireClient.connect(server.url);
    c.sendRaw(JSON.stringify({ type: 'ping', timestamp: 1, pad: 'x'.repeat(MAX) }));
    expect(await c.next(is('error'))).toMatchObject({ code: 'messageTooBig', category: 'protocol' });
    expect((await c.closed).code).toBe(1009);
    await othersKeepWorking();
  });

  it('an expired, a forged and a missing token: tokenExpired, badToken, badToken (auth)', async () => {
    const secret = new TextEncoder().encode(readFileSync(join(dir, 'token-secret'), 'utf8').trim());
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'access' }).setSubject(user.userId).setIssuedAt(past - 60).setExpirationTime(past).sign(secret);
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'access' }).setSubject(user.userId).setExpirationTime('1h').sign(new TextEncoder().encode('not-the-server-secret-at-all'));
    const c = await WireClient.connect(server.url);
    c.send({ type: 'bind', session: 1, partition: 'p', token: expired });
    expect(await c.next(is('error', 1))).toMatchObject({ code: 'tokenExpired', category: 'auth', tryAgain: true });
    c.send({ type: 'bind', session: 2, partition: 'p', token: forged });
    expect(await c.next(is('error', 2))).toMatchObject({ code: 'badToken', category: 'auth' });
    c.send({ type: 'bind', session: 3, partition: 'p', token: '' });
    expect(await c.next(is('error', 3))).toMatchObject({ code: 'badToken', category: 'auth' });
    // A refresh token is no access token.
    c.send({ type: 'bind', session: 4, partition: 'p', token: user.refreshToken });
    expect(await c.next(is('error', 4))).toMatchObject({ code: 'badToken' });
    c.close();
    await othersKeepWorking();
  });

  it('a write to a partition the user may only read: a compensating write, nothing stored', async () => {
    const c = await WireClient.connect(server.url);
    await bound(c, 1, 'readonly', user.accessToken, 'reader-only');
    c.send({ type: 'upload', session: 1, changesets: [putTask('reader-only', 1, 'r1')], progress: { clientVersion: 1, serverVersion: 0 } });
    expect(await c.next(is('error', 1))).toMatchObject({ code: 'compensatingWrite', category: 'session', isFatal: false, compensatingWrite: { from: 1, through: 1, writes: [{ type: 'Task', id: 'r1' }] } });
    const check = await WireClient.connect(server.url);
    const first = await bound(check, 1, 'readonly', user.accessToken, 'check');
    expect(first).toMatchObject({ changesets: [], downloadableBytes: 0 });
    c.close();
    check.close();
    await othersKeepWorking();
  });

  it('a BIND for a partition the user may not see: permissionDenied', async () => {
    const c = await WireClient.connect(server.url);
    c.send({ type: 'bind', session: 1, partition: 'secret', token: user.accessToken });
    expect(await c.next(is('error', 1))).toMatchObject({ code: 'permissionDenied', category: 'permission' });
    c.close();
    await othersKeepWorking();
  });

  it('refuses a socket without the subprotocol and bad logins', async () => {
    const res = await fetch(`${server.url}/auth/login`, { method: 'POST', body: '{"provider":"emailPassword","email":"nobody@x","password":"p"}' });
    expect(res.status).toBe(401);
    const bad = await fetch(`${server.url}/auth/login`, { method: 'POST', body: 'nope' });
    expect(bad.status).toBe(400);
    const refresh = await fetch(`${server.url}/auth/refresh`, { method: 'POST', body: JSON.stringify({ refreshToken: user.accessToken }) });
    expect(refresh.status).toBe(401);
    const ok = await fetch(`${server.url}/auth/refresh`, { method: 'POST', body: JSON.stringify({ refreshToken: user.refreshToken }) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { userId: string }).userId).toBe(user.userId);
    const { WebSocket } = await import('ws');
    const plain = new WebSocket(`${server.url.replace('http', 'ws')}/sync`);
    const outcome = await new Promise<string>((resolve) => {
      plain.once('open', () => resolve('open'));
      plain.once('error', (e) => resolve(String(e)));
    });
    expect(outcome).toContain('400');
  });
});
