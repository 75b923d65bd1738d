import { readFileSync } from 'node:fs';
import { createWebSocketReceiver } from '@statelyai/inspect';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/client/app.js';
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
    const received: { type: string; name?: string }[] = [];
    createWebSocketReceiver({ server: relay.wsUrl }).subscribe((event) => received.push(event as { type: string; name?: string }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await h.client('p', {}, h.app({ inspect: { url: relay.wsUrl } }));
    await eventually(() => received.some((e) => e.type === '@xstate.actor' && e.name === 'session'), 'the Stately receiver got the session');
    expect(received.some((e) => e.type === '@xstate.snapshot')).toBe(true);
  });

  it('refuses a bad inspect option by name', () => {
    expect(() => new App({ baseUrl: 'http://127.0.0.1:1', storageDir: '/tmp/x', inspect: { url: 'http://127.0.0.1:9777' } })).toThrow(/inspect.url must be a ws:\/\/ URL/);
    expect(() => new App({ baseUrl: 'http://127.0.0.1:1', storageDir: '/tmp/x', inspect: 5 as never })).toThrow(/inspect must be an inspection observer, true, or \{ url \}/);
  });
});
