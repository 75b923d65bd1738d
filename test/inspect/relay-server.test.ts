import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketReceiver } from '@statelyai/inspect';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/client/app.js';
import { startDemo } from '../../src/demo/demo-setup.js';
import { startInspectorRelay, type InspectorRelay } from '../../src/inspect/relay-server.js';
import { Harness, eventually } from '../e2e/harness.js';

interface Frame {
  type: string;
  sessionId: string;
  name?: string;
  snapshot?: { status: string; value?: unknown; context?: { label?: { realmPath: string; partition: string } } };
}

/** A bare WebSocket listener on the relay, as a viewer page is. */
async function listen(relay: InspectorRelay): Promise<{ frames: Frame[]; socket: WebSocket }> {
  const socket = new WebSocket(relay.wsUrl);
  const frames: Frame[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as Frame));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return { frames, socket };
}

const sessionsIn = (frames: Frame[]) => frames.filter((f) => f.type === '@xstate.actor' && f.name === 'session');
const lastValueOf = (frames: Frame[], sessionId: string) => frames.filter((f) => f.sessionId === sessionId && f.snapshot?.value !== undefined).at(-1)?.snapshot?.value;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('the inspector relay', () => {
  it('serves the viewer and the charts of visualizations/, and nothing else', async () => {
    const relay = await startInspectorRelay({ port: 0 });
    cleanup.push(() => relay.close());
    const page = await fetch(relay.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/viewer/viewer.js">');
    const chart = await fetch(new URL('/charts/session.svg', relay.url));
    expect(await chart.text()).toBe(readFileSync(new URL('../../visualizations/session.svg', import.meta.url), 'utf8'));
    expect((await fetch(new URL('/viewer/viewer-model.js', relay.url))).headers.get('content-type')).toContain('text/javascript');
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/viewer/', '/charts/x.svg']) expect((await fetch(new URL(path, relay.url))).status, path).toBe(404);
    expect((await fetch(relay.url, { method: 'POST' })).status).toBe(405);
  });

  it("relays an app's session actors with their labels and every step", async () => {
    const relay = await startInspectorRelay({ port: 0 });
    const h = await new Harness().start();
    cleanup.push(() => relay.close(), () => h.close());
    const viewer = await listen(relay);
    const { realm } = await h.client('team', {}, h.app({ inspect: { url: relay.wsUrl } }));
    const session = realm.syncSession!;
    await eventually(() => sessionsIn(viewer.frames).length === 1, 'the session actor announced');
    const announced = sessionsIn(viewer.frames)[0]!;
    expect(announced.sessionId).toMatch(/^c\d+\//);
    expect(announced.snapshot!.context!.label).toEqual({ realmPath: realm.path, userId: session.user.id, partition: 'team' });
    expect(viewer.frames.some((f) => f.type === '@xstate.actor' && f.name === 'connection')).toBe(true);
    session.pause();
    const paused = () => {
      const value = lastValueOf(viewer.frames, announced.sessionId) as { lifecycle?: unknown; connection?: unknown } | undefined;
      return value?.lifecycle === 'paused' && value.connection === 'disconnected';
    };
    await eventually(paused, 'the paused step relayed');
  });

  it('ignores malformed frames, keeps the sender connected, and goes on relaying', async () => {
    const relay = await startInspectorRelay({ port: 0 });
    const h = await new Harness().start();
    cleanup.push(() => relay.close(), () => h.close());
    const viewer = await listen(relay);
    const hostile = new WebSocket(relay.wsUrl);
    await new Promise((resolve) => hostile.once('open', resolve));
    const garbage = ['not json', '[]', 'null', '{"type":"@xstate.actor"}', JSON.stringify({ type: '@xstate.snapshot', sessionId: 'x', snapshot: 'active', event: { type: 'e' } }), 'x'.repeat(1_500_000)];
    for (const text of garbage) hostile.send(text);
    hostile.send(Buffer.from([0, 1, 2]));
    await eventually(() => relay.malformed() === garbage.length + 1, 'every bad frame counted');
    expect(viewer.frames).toEqual([]);
    expect(hostile.readyState).toBe(WebSocket.OPEN);
    await h.client('p', {}, h.app({ inspect: { url: relay.wsUrl } }));
    await eventually(() => sessionsIn(viewer.frames).length === 1, 'a good frame after the bad ones');
    hostile.close();
  });

  it('comes back after a restart: the app reconnects and announces its live sessions again', async () => {
    let relay = await startInspectorRelay({ port: 0 });
    const port = relay.port;
    const h = await new Harness().start();
    cleanup.push(() => relay.close(), () => h.close());
    const { realm } = await h.client('p', {}, h.app({ inspect: { url: relay.wsUrl } }));
    const first = await listen(relay);
    await eventually(() => sessionsIn(first.frames).length === 1, 'the session on the first relay');
    realm.syncSession!.pause();
    await relay.close();
    relay = await startInspectorRelay({ port });
    const second = await listen(relay);
    await eventually(() => sessionsIn(second.frames).length === 1, 'the session announced to the restarted relay', 10_000);
    // Announced as it is now, not as it started.
    expect(sessionsIn(second.frames)[0]!.snapshot!.value).toEqual({ lifecycle: 'paused', connection: 'disconnected' });
  });

  it("speaks @statelyai/inspect's WebSocket format: its own receiver reads the relay", async () => {
    const relay = await startInspectorRelay({ port: 0 });
    const h = await new Harness().start();
    cleanup.push(() => relay.close(), () => h.close());
    const received: { type: string; name?: string; _version?: unknown }[] = [];
    createWebSocketReceiver({ server: relay.wsUrl }).subscribe((event) => received.push(event as { type: string; name?: string }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await h.client('p', {}, h.app({ inspect: { url: relay.wsUrl } }));
    await eventually(() => received.some((e) => e.type === '@xstate.actor' && e.name === 'session'), 'the Stately receiver got the session');
    expect(received.some((e) => e.type === '@xstate.snapshot')).toBe(true);
    // The package's browser receiver (the Stately inspector's side) takes only stamped events.
    expect(received.filter((e) => typeof e._version !== 'string')).toEqual([]);
  });

  it('refuses a bad inspect option by name', () => {
    expect(() => new App({ baseUrl: 'http://127.0.0.1:1', storageDir: '/tmp/x', inspect: { url: 'http://127.0.0.1:9777' } })).toThrow(/inspect.url must be a ws:\/\/ URL/);
    expect(() => new App({ baseUrl: 'http://127.0.0.1:1', storageDir: '/tmp/x', inspect: 5 as never })).toThrow(/inspect must be an inspection observer, true, or \{ url \}/);
  });

  it('lets browsers in only from its own pages, and Node clients (no Origin) always', async () => {
    const relay = await startInspectorRelay({ port: 0 });
    cleanup.push(() => relay.close());
    const attempt = (origin?: string) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(relay.wsUrl, origin === undefined ? {} : { origin });
        socket.once('open', () => {
          socket.close();
          resolve('open');
        });
        socket.once('unexpected-response', (_request, response) => resolve(String(response.statusCode)));
        socket.once('error', () => resolve('error'));
      });
    expect(await attempt('http://evil.example')).toBe('403');
    expect(await attempt('http://localhost:1')).toBe('403');
    expect(await attempt(new URL(relay.url).origin)).toBe('open');
    expect(await attempt(`http://localhost:${relay.port}`)).toBe('open');
    expect(await attempt()).toBe('open');
  });

  it('sends an app (a source) nothing of what other apps send', async () => {
    const relay = await startInspectorRelay({ port: 0 });
    const h = await new Harness().start();
    cleanup.push(() => relay.close(), () => h.close());
    const source = new WebSocket(`${relay.wsUrl}/?role=source`);
    const heard: string[] = [];
    source.on('message', (data) => heard.push(data.toString()));
    await new Promise((resolve) => source.once('open', resolve));
    const viewer = await listen(relay);
    await h.client('p', {}, h.app({ inspect: { url: relay.wsUrl } }));
    await eventually(() => sessionsIn(viewer.frames).length === 1, 'the viewer hears the app');
    const late = new WebSocket(`${relay.wsUrl}/?role=source`);
    late.on('message', (data) => heard.push(data.toString()));
    await new Promise((resolve) => late.once('open', resolve));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).toEqual([]);
    source.close();
    late.close();
  });

  it('fails cleanly on a taken port, and the demo then takes a free one', async () => {
    const relay = await startInspectorRelay({ port: 0 });
    cleanup.push(() => relay.close());
    await expect(startInspectorRelay({ port: relay.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const demo = await startDemo({ inspectPort: relay.port });
    cleanup.push(() => demo.close());
    expect(demo.relay!.port).not.toBe(relay.port);
  });

  it('survives a request line no URL parser accepts, and a frame nested far too deep', async () => {
    const relay = await startInspectorRelay({ port: 0 });
    cleanup.push(() => relay.close());
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(relay.port, '127.0.0.1', () => socket.write('GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.once('data', (data) => {
        resolve(data.toString().split('\r\n')[0]!);
        socket.destroy();
      });
    });
    expect(reply).toBe('HTTP/1.1 400 Bad Request');
    const viewer = await listen(relay);
    const hostile = new WebSocket(relay.wsUrl);
    await new Promise((resolve) => hostile.once('open', resolve));
    hostile.send(`{"type":"@xstate.actor","sessionId":"x","name":"session","snapshot":{"status":"active","context":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`);
    await eventually(() => relay.malformed() === 1, 'the deep frame dropped');
    expect((await fetch(relay.url)).status).toBe(200);
    expect(viewer.frames).toEqual([]);
    hostile.close();
  });

  it('lets an inspected app close at once even when the relay never answers the close', async () => {
    // A "relay" that completes the WebSocket handshake and then reads and answers nothing.
    const mute = createHttpServer();
    const cut: boolean[] = [];
    mute.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
      const accept = createHash('sha1').update(`${request.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      // The HTTP server's sockets allow half-open: the app hanging up shows as 'end'.
      socket.on('end', () => {
        cut.push(true);
        socket.destroy();
      });
    });
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => mute.close(() => resolve())));
    const port = (mute.address() as { port: number }).port;
    let opened = false;
    mute.once('upgrade', () => (opened = true));
    const app = new App({ baseUrl: 'http://127.0.0.1:1', storageDir: '/tmp/unused-inspect-app', inspect: { url: `ws://127.0.0.1:${port}` } });
    await eventually(() => opened, 'the link open');
    await new Promise((resolve) => setTimeout(resolve, 50));
    app.close();
    // Left to ws, an unanswered close is cut after 30 s; the adapter cuts it itself.
    await eventually(() => cut.length === 1, 'the link cut without an answer to the close', 5_000);
  });
});
