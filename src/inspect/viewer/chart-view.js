// @ts-check
/**
 * A chart from `visualizations/` in the page, with its active states lit: every state is a
 * `<g id="state:…">` group there, so lighting a state is toggling a class on its group.
 */
import { activePaths } from './viewer-model.js';

/** @type {Map<string, Promise<string>>} */
const charts = new Map();

/** The SVG text of one machine's chart, fetched once. @param {string} machine */
function chartText(machine) {
  let text = charts.get(machine);
  if (text === undefined) {
    text = fetch(`/charts/${machine}.svg`).then((response) => {
      if (!response.ok) throw new Error(`chart ${machine}: HTTP ${response.status}`);
      return response.text();
    });
    charts.set(machine, text);
  }
  return text;
}

/**
 * Draws `machine`'s chart into `container` (once) and lights the states of `value`; `undefined`
 * lights nothing (no such actor is alive).
 * @param {HTMLElement} container @param {string} machine @param {unknown} value
 */
export async function showChart(container, machine, value) {
  if (container.dataset['machine'] !== machine) {
    container.dataset['machine'] = machine;
    container.innerHTML = await chartText(machine);
  }
  const lit = new Set(value === undefined ? [] : activePaths(machine, value).map((path) => `state:${path}`));
  for (const group of container.querySelectorAll('g.state')) group.classList.toggle('active', lit.has(group.id));
  container.dataset['active'] = [...lit].join(' ');
}
