import { createServer } from 'node:net';
import type { Page } from 'playwright-core';
import { afterEach, expect } from 'vitest';
import { startDemo } from '../../src/demo/demo-setup.js';
import { startInspectorRelay } from '../../src/inspect/relay-server.js';
import { launchBrowser, screenshot, withChromium, type TestBrowser } from '../support/browser.js';
import { startTsxProcess, type TsxProcess } from '../support/tsx-process.js';
import { Harness } from './harness.js';

const { describe, it } = withChromium();

// Each test registers the cleanup of a part before it starts that part (a closure over a
// variable still undefined), so a launch that fails leaves nothing started before it running.
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Whether the drawn state `path` of the chart in `#chartId` is lit, once it is `lit` (at most 10 s). */
async function expectLit(page: Page, path: string, lit = true, chartId = 'session-chart'): Promise<void> {
  await page.waitForFunction(
    ([chart, id, want]) => (globalThis as unknown as PageGlobals).document.querySelector(`#${chart} [id="state:${id}"]`)?.classList.contains('active') === want,
    [chartId, path, lit] as const,
    { timeout: 10_000 },
  );
}

/**
 * The few page globals the checks below touch, typed here because the test program has no DOM
 * library (the functions run in the page, where they exist).
 */
interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  readonly classList: { contains(name: string): boolean };
}
interface PageGlobals {
  readonly document: { getElementById(id: string): PageElement | null; querySelector(selector: string): PageElement | null };
  readonly MutationObserver: new (callback: () => void) => { observe(target: PageElement, options: { attributes: boolean }): void };
  barValues: string[];
}

/** Whether `#id`'s bar shows a finished transfer of more than `bytes`. */
const barFull = ([id, bytes]: readonly [string, number]) => {
  const bar = (globalThis as unknown as PageGlobals).document.getElementById(id)!;
  return Number(bar.dataset['transferred']) > bytes && bar.dataset['transferred'] === bar.dataset['transferable'];
};

/** From now on, records every value `#id`'s bar shows (read back with `barValuesSeen`). */
const recordBar = (page: Page, id: string): Promise<void> =>
  page.evaluate((barId) => {
    const page = globalThis as unknown as PageGlobals;
    const bar = page.document.getElementById(barId)!;
    page.barValues = [];
    new page.MutationObserver(() => page.barValues.push(`${bar.dataset['transferred']}/${bar.dataset['transferable']}`)).observe(bar, { attributes: true });
  }, id);

/** The distinct [transferred, transferable] pairs the recorded bar showed, in order. */
const barValuesSeen = async (page: Page): Promise<[number, number][]> =>
  [...new Set(await page.evaluate(() => (globalThis as unknown as PageGlobals).barValues))].map((v) => v.split('/').map(Number) as [number, number]);

const sessionItem = (page: Page, realmPath: string) => page.locator(`#session-list li[title="${realmPath}"]`);

/** Where drawn state `path` of `#chartId` is on the screen, once the chart's view has stopped gliding. */
async function stateBox(page: Page, path: string, chartId = 'session-chart') {
  await page.locator(`#${chartId}[data-settled="true"]`).waitFor({ timeout: 10_000 });
  const rect = await page.locator(`#${chartId} [id="state:${path}"] > rect`).first().boundingBox();
  const text = await page.locator(`#${chartId} [id="state:${path}"] > text`).first().boundingBox();
  const chart = await page.locator(`#${chartId}`).boundingBox();
  if (rect === null || text === null || chart === null) throw new Error(`state ${path} of #${chartId} is not drawn`);
  const inView = rect.x >= chart.x && rect.y >= chart.y && rect.x + rect.width <= chart.x + chart.width && rect.y + rect.height <= chart.y + chart.height;
  return { height: rect.height, textHeight: text.height, inView };
}

/** Presses the chart's "whole chart" / "follow active states" button. */
const toggleChartMode = (page: Page, chartId = 'session-chart') => page.locator(`button.chart-mode[data-chart="${chartId}"]`).click();

describe('the inspector viewer in Chromium', () => {
  it('draws a running demo: pause lights paused and disconnected, the bars move during a sync, the timeline looks back', async () => {
    let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
    let browser: TestBrowser | undefined;
    cleanup.push(() => demo?.close(), () => browser?.close());
    demo = await startDemo({ inspectPort: 0 });
    browser = await launchBrowser();
    const page = await browser.page();
    // A laptop's window, where the whole session chart's text is a few pixels high.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(demo.relay!.url);
    const [alice, bob] = demo.clients;
    await sessionItem(page, alice.realm.path).click();
    await expect.poll(() => sessionItem(page, bob.realm.path).count()).toBe(1);
    await expectLit(page, 'session.lifecycle.syncing.active.running');
    await expectLit(page, 'session.connection.connected');
    await expectLit(page, 'connection.online.connected', true, 'connection-chart');

    // Two users' sessions of one partition share a file name: each is titled by partition and user.
    for (const client of [alice, bob]) {
      const title = await sessionItem(page, client.realm.path).locator('.path').textContent();
      expect(title).toContain('team-1');
      expect(title).toContain(client.session.user.id);
    }

    // The session chart opens zoomed to the active state, readable; the whole chart is a click away.
    const running = 'session.lifecycle.syncing.active.running';
    const zoomed = await stateBox(page, running);
    expect(zoomed.inView, 'the active state is in view').toBe(true);
    expect(zoomed.height, 'the active state is drawn big enough to read').toBeGreaterThanOrEqual(20);
    expect(zoomed.textHeight, 'its name is at least 10 px high').toBeGreaterThanOrEqual(10);
    await screenshot(page, 'inspector-zoomed');
    await toggleChartMode(page);
    await expect.poll(() => page.locator('#session-chart svg').evaluate((svg) => svg.getAttribute('viewBox') === svg.getAttribute('data-whole'))).toBe(true);
    expect((await stateBox(page, running)).height, 'the whole chart is shown small').toBeLessThan(10);
    await screenshot(page, 'inspector-whole-chart');
    await toggleChartMode(page);
    expect((await stateBox(page, running)).height).toBeGreaterThanOrEqual(20);
    // The connection chart follows its active states too.
    expect((await stateBox(page, 'connection.online.connected', 'connection-chart')).textHeight).toBeGreaterThanOrEqual(10);

    // The page joined after the sessions started: the relay's replay added no "announced" step.
    await page.locator('#event-list li.step').first().waitFor();
    expect(await page.locator('#event-list li[data-event="announced"]').count()).toBe(0);

    // Looking back at the first step, the connection chart shows that moment too: not connected yet.
    await page.locator('#event-list li.step').last().click();
    await expect.poll(() => page.locator('#view-mode').getAttribute('data-mode')).toBe('past');
    await expectLit(page, 'connection.online.connected', false, 'connection-chart');
    expect(await page.locator('#connection-note').textContent()).not.toContain('live');
    await page.locator('#live-button').click();
    await expectLit(page, 'connection.online.connected', true, 'connection-chart');

    alice.session.pause();
    await expectLit(page, 'session.lifecycle.paused');
    await expectLit(page, 'session.connection.disconnected');
    await expectLit(page, 'session.lifecycle.syncing', false);
    expect(await page.locator('#summary-state').textContent()).toBe('paused');

    // A wait made while paused is listed, with its age, until the resume settles it.
    alice.realm.write((tx) => tx.put('Task', 'while-paused', { title: 'x' }));
    const waited = alice.session.waitForUpload(AbortSignal.timeout(20_000));
    await page.locator('#wait-list li.wait').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('#wait-list').textContent()).toMatch(/upload .* waiting \d+\.\d s/);

    await recordBar(page, 'upload-bar');
    alice.session.resume();
    await waited;
    await expectLit(page, 'session.lifecycle.syncing.active.running');
    await page.locator('#wait-list li.none').waitFor();
    // A sync big enough to take several frames of the page.
    for (let batch = 0; batch < 40; batch++) {
      alice.realm.write((tx) => {
        for (let i = 0; i < 25; i++) tx.put('Task', `bulk-${batch}-${i}`, { title: 'x'.repeat(1_000) });
      });
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await alice.session.waitForUpload(AbortSignal.timeout(30_000));
    await page.waitForFunction(barFull, ['upload-bar', 1_000_000] as const);
    // Progress steps are hidden by default, and read as bytes when shown.
    expect(await page.locator('#hide-progress').isChecked()).toBe(true);
    expect(await page.locator('#event-list li[data-event="progress"]').count()).toBe(0);
    expect(await page.locator('#hidden-count').textContent()).toMatch(/^\d+ progress steps? hidden$/);
    await page.locator('#hide-progress').uncheck();
    const progressName = await page.locator('#event-list li[data-event="progress"] .event').first().textContent();
    expect(progressName).toMatch(/^upload \d+(\.\d+)? (B|kB|MB) \/ \d+(\.\d+)? (B|kB|MB)$/);
    await screenshot(page, 'inspector-progress-shown');
    await page.locator('#hide-progress').check();
    await expect.poll(() => page.locator('#event-list li[data-event="progress"]').count()).toBe(0);
    const distinct = await barValuesSeen(page);
    expect(distinct.length, `upload bar values: ${distinct.join(' ')}`).toBeGreaterThanOrEqual(3);
    const transferred = distinct.map(([t]) => t);
    expect(transferred).toEqual([...transferred].sort((a, b) => a - b));
    expect(distinct.some(([t, total]) => t < total), 'the bar showed a sync in flight').toBe(true);

    // Looking back: the step after 'pause' shows the session paused again, then back to live.
    // The press is held while new steps arrive and the timeline is redrawn under it.
    await page.locator('#event-list li[data-event="pause"]').first().hover();
    await page.mouse.down();
    for (let i = 0; i < 5; i++) {
      alice.realm.write((tx) => tx.put('Task', `during-press-${i}`, { title: 'y' }));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await page.mouse.up();
    await expectLit(page, 'session.lifecycle.paused');
    expect(await page.locator('#view-mode').getAttribute('data-mode')).toBe('past');
    // The step looked at shows its event, as JSON.
    expect(await page.locator('#event-details').getAttribute('data-empty')).toBe('false');
    expect(await page.locator('#event-details-json').textContent()).toContain('"type": "pause"');
    // The paused state is followed: in view and readable.
    const paused = await stateBox(page, 'session.lifecycle.paused');
    expect(paused.inView && paused.height >= 20, `paused drawn ${JSON.stringify(paused)}`).toBe(true);
    await screenshot(page, 'inspector-looking-back');
    await page.locator('#live-button').click();
    await expectLit(page, 'session.lifecycle.syncing.active.running');

    // Bob's download bar moves while he receives a sync, and ends full once he has everything.
    await bob.session.waitForDownload(AbortSignal.timeout(30_000));
    await sessionItem(page, bob.realm.path).click();
    await page.waitForFunction(barFull, ['download-bar', 1_000_000] as const);
    await recordBar(page, 'download-bar');
    for (let batch = 0; batch < 40; batch++) {
      alice.realm.write((tx) => {
        for (let i = 0; i < 25; i++) tx.put('Task', `more-${batch}-${i}`, { title: 'z'.repeat(1_000) });
      });
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await alice.session.waitForUpload(AbortSignal.timeout(30_000));
    await bob.session.waitForDownload(AbortSignal.timeout(30_000));
    await page.waitForFunction(barFull, ['download-bar', 2_000_000] as const);
    const downloaded = await barValuesSeen(page);
    expect(downloaded.length, `download bar values: ${downloaded.join(' ')}`).toBeGreaterThanOrEqual(3);
    expect(downloaded.map(([t]) => t)).toEqual(downloaded.map(([t]) => t).sort((a, b) => a - b));
    const shot = await screenshot(page, 'inspector');
    console.info(`inspector screenshot: ${shot}; upload bar showed ${distinct.length} values, download bar ${downloaded.length}`);

    // A second viewer connecting adds no "announced" step, to its timeline or to the first's.
    const second = await browser.page();
    await second.goto(demo.relay!.url);
    await sessionItem(second, alice.realm.path).click();
    await second.locator('#event-list li.step').first().waitFor();
    expect(await second.locator('#event-list li[data-event="announced"]').count()).toBe(0);
    expect(await page.locator('#event-list li[data-event="announced"]').count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });

  it('survives a relay killed and restarted: the page reconnects and shows the sessions again', async () => {
    const port = await freePort();
    let relay: TsxProcess | undefined;
    let h: Harness | undefined;
    let browser: TestBrowser | undefined;
    cleanup.push(() => relay?.stop(), () => h?.close(), () => browser?.close());
    relay = await startRelayProcess(port);
    h = await new Harness().start();
    browser = await launchBrowser();
    const { realm } = await h.client('p', {}, h.app({ inspect: { url: `ws://127.0.0.1:${port}` } }));
    const page = await browser.page();
    // The chart's first fetch fails, as it does when the relay dies while the page loads it:
    // the page must fetch it again later, not keep the failure.
    let chartFetches = 0;
    await page.route('**/charts/session.svg', (route) => (chartFetches++ === 0 ? route.abort('connectionrefused') : route.continue()));
    await page.goto(`http://127.0.0.1:${port}/`);
    await sessionItem(page, realm.path).waitFor({ timeout: 10_000 });

    await relay.stop();
    await page.locator('#relay-status[data-status="disconnected"]').waitFor({ timeout: 10_000 });
    realm.syncSession!.pause();
    relay = await startRelayProcess(port);
    await page.locator('#relay-status[data-status="connected"]').waitFor({ timeout: 15_000 });
    await sessionItem(page, realm.path).waitFor({ timeout: 15_000 });
    // It shows the session as it is now: paused while the relay was away.
    await expectLit(page, 'session.lifecycle.paused');
    expect(chartFetches).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'inspector-after-relay-restart');
    // The failed loads are the page's own link while the relay was down, and the aborted chart.
    expect(browser.errors.filter((e) => !e.includes('ERR_CONNECTION_REFUSED') && !e.includes('Failed to load resource'))).toEqual([]);
  });
});

describe('the Stately bridge page (/stately)', () => {
  it('hands the relayed frames to the inspector frame once it says it is ready', async () => {
    let relay: Awaited<ReturnType<typeof startInspectorRelay>> | undefined;
    let h: Harness | undefined;
    let browser: TestBrowser | undefined;
    cleanup.push(() => relay?.close(), () => h?.close(), () => browser?.close());
    relay = await startInspectorRelay({ port: 0 });
    h = await new Harness().start();
    browser = await launchBrowser();
    await h.client('p', {}, h.app({ inspect: { url: relay.wsUrl } }));
    const page = await browser.page();
    // stately.ai is not reachable from tests: a stand-in answers for it, in the same frame and
    // with the same handshake (@statelyai.connected), and keeps what it is sent if it passes
    // the check @statelyai/inspect's receivers apply (a string type and a string _version).
    await page.route('https://stately.ai/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<script>
          window.received = [];
          addEventListener('message', (e) => {
            if (typeof e.data === 'object' && e.data !== null && typeof e.data.type === 'string' && typeof e.data._version === 'string') window.received.push(e.data);
          });
          setTimeout(() => parent.postMessage({ type: '@statelyai.connected' }, '*'), 300);
        </script>`,
      }),
    );
    await page.goto(new URL('/stately', relay.url).href);
    const inspector = page.frames().find((frame) => frame.url().startsWith('https://stately.ai/'))!;
    await inspector.waitForFunction(
      () => ((globalThis as unknown as { received: { type?: string; name?: string }[] }).received ?? []).some((e) => e.type === '@xstate.actor' && e.name === 'session'),
      undefined,
      { timeout: 10_000 },
    );
    expect(browser.errors).toEqual([]);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `sync-session inspect --port PORT` in a child process, once it listens. */
const startRelayProcess = (port: number): Promise<TsxProcess> =>
  startTsxProcess(['src/cli.ts', 'inspect', '--port', String(port)], (out) => out.includes('viewer at'));
