// @ts-check
/**
 * A chart from `visualizations/` in the page, with its active states lit: every state is a
 * `<g id="state:…">` group there, so lighting a state is toggling a class on its group. The
 * chart follows its active states (zoomed to them, see `chart-focus.js`) or shows whole.
 */
import { focusBox } from './chart-focus.js';
import { activePaths } from './viewer-model.js';

/** @typedef {import('./chart-focus.js').Box} Box */
/** @typedef {'follow' | 'whole'} ChartMode */

/** @type {Map<string, Promise<string>>} */
const charts = new Map();

/**
 * The SVG text of one machine's chart, fetched once; a failed fetch (the relay was away) is
 * forgotten, so the next look tries again.
 * @param {string} machine
 */
function chartText(machine) {
  let text = charts.get(machine);
  if (text === undefined) {
    text = fetch(`/charts/${machine}.svg`).then((response) => {
      if (!response.ok) throw new Error(`chart ${machine}: HTTP ${response.status}`);
      return response.text();
    });
    text.catch(() => charts.delete(machine));
    charts.set(machine, text);
  }
  return text;
}

/** What each chart container should show: the latest request wins over a slow load. */
const wanted = new WeakMap();

/** @param {HTMLElement} container @param {string} machine @param {unknown} value */
function light(container, machine, value) {
  const lit = new Set(value === undefined ? [] : activePaths(machine, value).map((path) => `state:${path}`));
  for (const group of container.querySelectorAll('g.state')) group.classList.toggle('active', lit.has(group.id));
  container.dataset['active'] = [...lit].join(' ');
  aim(container);
}

/** How long the view glides to a new focus, in ms: long enough to see where it went. */
const GLIDE_MS = 250;

/** What each container's view was last aimed at, so a step that lights the same states (most are progress) does not move it. */
const aimedAt = new WeakMap();
/** Each container's glide in progress. */
const glides = new WeakMap();

/** @param {Element} svg @returns {Box | undefined} */
function viewBoxOf(svg, attribute = 'viewBox') {
  const parts = (svg.getAttribute(attribute) ?? '').trim().split(/[\s,]+/).map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) return undefined;
  const [x = 0, y = 0, width = 0, height = 0] = parts;
  return { x, y, width, height };
}

/** @param {Element} svg @param {Box} box */
const setViewBox = (svg, box) => svg.setAttribute('viewBox', [box.x, box.y, box.width, box.height].map((n) => String(Math.round(n * 10) / 10)).join(' '));

/**
 * Points `container`'s chart at its active states (or at the whole chart), gliding there;
 * nothing moves when neither the lit states, the mode nor the container's size changed.
 * @param {HTMLElement} container
 */
function aim(container) {
  const svg = container.querySelector('svg');
  if (svg === null) return;
  const mode = container.dataset['view'] === 'whole' ? 'whole' : 'follow';
  const view = { width: container.clientWidth, height: container.clientHeight };
  const key = `${mode} ${view.width}x${view.height} ${container.dataset['active'] ?? ''}`;
  if (aimedAt.get(container) === key) return;
  aimedAt.set(container, key);
  const whole = viewBoxOf(svg, 'data-whole') ?? { x: 0, y: 0, width: 1, height: 1 };
  // In the chart's own order: its first region (the session's lifecycle) leads the focus.
  const litIds = new Set((container.dataset['active'] ?? '').split(' '));
  const lit = [...svg.querySelectorAll('g.state')].filter((group) => litIds.has(group.id)).map((group) => group.id.slice('state:'.length));
  /** @param {string} path @returns {Box | undefined} */
  const boxOf = (path) => {
    const group = svg.querySelector(`g[id="state:${CSS.escape(path)}"]`);
    const shape = group?.querySelector(':scope > rect') ?? group;
    if (!(shape instanceof SVGGraphicsElement)) return undefined;
    const { x, y, width, height } = shape.getBBox();
    return { x, y, width, height };
  };
  /** @param {string} path */
  const targetsOf = (path) =>
    [...svg.querySelectorAll(`g.transition[data-source="${CSS.escape(path)}"]`)].map((edge) => edge.getAttribute('data-target') ?? '').filter((t) => t !== '' && t !== path);
  const fontSize = Number(svg.getAttribute('font-size')) || 12;
  const target = mode === 'whole' ? whole : focusBox({ lit, boxOf, targetsOf, whole, view, fontSize });
  container.dataset['focus'] = mode === 'whole' ? 'whole' : 'active';
  glide(container, svg, target);
}

/** @param {HTMLElement} container @param {Element} svg @param {Box} to */
function glide(container, svg, to) {
  cancelAnimationFrame(glides.get(container) ?? 0);
  const from = viewBoxOf(svg);
  if (from === undefined || matchMedia('(prefers-reduced-motion: reduce)').matches) {
    setViewBox(svg, to);
    container.dataset['settled'] = 'true';
    return;
  }
  const start = performance.now();
  /** @param {number} now */
  const frame = (now) => {
    const t = Math.min(1, (now - start) / GLIDE_MS);
    const ease = t * (2 - t);
    /** @param {'x' | 'y' | 'width' | 'height'} k */
    const at = (k) => from[k] + (to[k] - from[k]) * ease;
    setViewBox(svg, { x: at('x'), y: at('y'), width: at('width'), height: at('height') });
    if (t < 1) glides.set(container, requestAnimationFrame(frame));
    else container.dataset['settled'] = 'true';
  };
  delete container.dataset['settled'];
  glides.set(container, requestAnimationFrame(frame));
}

/**
 * Shows `container`'s chart whole, or following its active states.
 * @param {HTMLElement} container @param {ChartMode} mode
 */
export function setChartMode(container, mode) {
  container.dataset['view'] = mode;
  aim(container);
}

/** Re-aims a chart whose container changed size (the window, or the layout, moved). */
const resized = new ResizeObserver((entries) => {
  for (const entry of entries) if (entry.target instanceof HTMLElement) aim(entry.target);
});

/**
 * Draws `machine`'s chart into `container` (once) and lights the states of `value`; `undefined`
 * lights nothing (no such actor is alive).
 * @param {HTMLElement} container @param {string} machine @param {unknown} value
 */
export async function showChart(container, machine, value) {
  wanted.set(container, { machine, value });
  if (container.dataset['machine'] === machine) {
    light(container, machine, value);
    return;
  }
  let svg;
  try {
    svg = await chartText(machine);
  } catch {
    return; // drawn on a later look, once the relay answers
  }
  const latest = wanted.get(container);
  if (latest?.machine !== machine) return;
  if (container.dataset['machine'] !== machine) {
    container.innerHTML = svg;
    container.dataset['machine'] = machine;
    const drawn = container.querySelector('svg');
    // The chart's own extent, kept apart from the viewBox the focus moves.
    if (drawn !== null) drawn.setAttribute('data-whole', drawn.getAttribute('viewBox') ?? `0 0 ${drawn.getAttribute('width')} ${drawn.getAttribute('height')}`);
    aimedAt.delete(container);
    resized.observe(container);
  }
  light(container, machine, latest.value);
}
