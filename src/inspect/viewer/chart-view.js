// @ts-check
/**
 * A chart from `visualizations/` in the page, with its active states lit: every state is a
 * `<g id="state:…">` group there, so lighting a state is toggling a class on its group.
 */
import { activePaths } from './viewer-model.js';

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
}

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
  }
  light(container, machine, latest.value);
}
