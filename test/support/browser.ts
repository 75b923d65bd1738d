import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, requiring, type ComponentTests } from './system-component.js';

/**
 * `describe`/`it` for tests that drive Chromium: they skip without it (one line saying what to
 * install), and fail under `CI=true`. `SYNC_SESSION_CHROMIUM=/nonexistent` simulates its absence.
 */
export const withChromium = (): ComponentTests => requiring(CHROMIUM, "the inspector's browser tests");

/** Where screenshots go (CI keeps `test-output/`). */
export const SCREENSHOT_DIR = 'test-output';

/** A headless Chromium with a fresh profile, and the page errors it saw. */
export interface TestBrowser {
  readonly browser: Browser;
  /** Uncaught errors and console errors of every page opened through `page()`. */
  readonly errors: string[];
  page(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Starts Chromium with the flags this machine needs: no sandbox (root), and none of the
 * background connections a closed network refuses. Playwright gives it a fresh, empty profile.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const located = CHROMIUM.locate();
  if (!located.found) throw new Error(`browser tests need ${CHROMIUM.name} at ${located.lookedAt} (${CHROMIUM.install})`);
  const browser = await chromium.launch({
    executablePath: located.path,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors: string[] = [];
  return {
    browser,
    errors,
    page: async () => {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
      page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`console: ${message.text()}`);
      });
      return page;
    },
    close: () => browser.close(),
  };
}

/** Saves a full-page screenshot as `test-output/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
