import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the relay serves. */
export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  /** Its Content-Security-Policy: nothing from outside this machine, but for the Stately bridge. */
  readonly policy: string;
}

/** Our viewer loads nothing from anywhere but the relay. */
const OFFLINE_POLICY = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'";
/** The bridge page frames the Stately inspector, and nothing else from outside. */
const STATELY_POLICY = `${OFFLINE_POLICY}; frame-src https://stately.ai`;

/** The package folder: the same from `src/` (tsx) and from `dist/src/` (installed). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'visualizations'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('sync-session inspect: cannot find the package folder (visualizations/ is missing)');
}

const types: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml; charset=utf-8',
};

/** URL path → file under the package folder. A fixed list: no request names a file of its own choosing. */
const routes: Record<string, string> = {
  '/': 'src/inspect/viewer/index.html',
  '/stately': 'src/inspect/viewer/stately.html',
  '/viewer/stately-bridge.js': 'src/inspect/viewer/stately-bridge.js',
  '/viewer/viewer.css': 'src/inspect/viewer/viewer.css',
  '/viewer/viewer.js': 'src/inspect/viewer/viewer.js',
  '/viewer/viewer-model.js': 'src/inspect/viewer/viewer-model.js',
  '/viewer/chart-view.js': 'src/inspect/viewer/chart-view.js',
  '/viewer/chart-focus.js': 'src/inspect/viewer/chart-focus.js',
  '/viewer/event-names.js': 'src/inspect/viewer/event-names.js',
  '/viewer/relay-link.js': 'src/inspect/viewer/relay-link.js',
  '/charts/session.svg': 'visualizations/session.svg',
  '/charts/connection.svg': 'visualizations/connection.svg',
  '/charts/waiter.svg': 'visualizations/waiter.svg',
  '/charts/progress.svg': 'visualizations/progress.svg',
};

/**
 * The viewer's files, read once: the page, its scripts, and the charts exactly as
 * `visualizations/` holds them (the page highlights their `state:` groups).
 */
export function loadViewerAssets(): Map<string, Asset> {
  const root = packageRoot();
  const assets = new Map<string, Asset>();
  for (const [path, file] of Object.entries(routes)) {
    const extension = file.slice(file.lastIndexOf('.') + 1);
    assets.set(path, {
      body: readFileSync(join(root, file)),
      contentType: types[extension] ?? 'application/octet-stream',
      policy: path === '/stately' ? STATELY_POLICY : OFFLINE_POLICY,
    });
  }
  return assets;
}
