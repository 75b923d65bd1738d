/**
 * Draws a laid-out chart as a standalone SVG. Styling is written as presentation attributes
 * rather than a stylesheet: they survive any viewer, and a page that embeds the SVG can still
 * override them with CSS (e.g. to highlight `#state:…` groups of the active states).
 */
import type { LaidOutChart, LaidOutEdge, LaidOutInitial, LaidOutState, LineKind, Point } from './layout-types.js';
import { FINAL_INSET } from './state-box.js';
import {
  CHAR_WIDTH,
  FONT_FAMILY,
  HEADER_BASELINE,
  HEADER_HEIGHT,
  HEADER_SIZE,
  LINE_BASELINE,
  LINE_HEIGHT,
  TEXT_INSET,
  TEXT_SIZE,
} from './text-metrics.js';

const COLORS = {
  background: '#ffffff',
  rootFill: '#f6f7f9',
  compoundFill: ['#edf2f9', '#f6f9fd'],
  atomicFill: '#ffffff',
  border: '#4a6283',
  regionBorder: '#8b95a5',
  regionName: '#4b5563',
  header: '#16233a',
  separator: '#c9d2df',
  edge: '#4b5563',
  label: '#1f2937',
  line: { entry: '#2f6f3a', exit: '#8a4b12', invoke: '#6b3fa0', transition: '#374151' } satisfies Record<LineKind, string>,
};

/** One decimal is far below a pixel and keeps ELK's float noise out of the file. */
const fmt = (value: number): string => String(Math.round(value * 10) / 10);

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const attrs = (record: Readonly<Record<string, string | number>>): string =>
  Object.entries(record)
    .map(([name, value]) => `${name}="${typeof value === 'number' ? fmt(value) : escapeXml(value)}"`)
    .join(' ');

function classesOf(state: LaidOutState): string {
  return ['state', state.type, ...(state.region ? ['region'] : []), ...(state.depth === 0 ? ['root'] : [])].join(' ');
}

function fillOf(state: LaidOutState): string {
  if (state.depth === 0) return COLORS.rootFill;
  if (state.region) return 'none';
  if (state.type === 'compound' || state.type === 'parallel') return COLORS.compoundFill[state.depth % 2] ?? COLORS.atomicFill;
  return COLORS.atomicFill;
}

function stateSvg(state: LaidOutState): string {
  const out: string[] = [];
  const box = { x: state.x, y: state.y, width: state.width, height: state.height };
  out.push(
    `<g ${attrs({ id: `state:${state.id}`, class: classesOf(state), 'data-key': state.key, 'data-node-id': state.nodeId })}>`,
    `  <rect ${attrs({
      ...box,
      rx: state.region ? 4 : 8,
      fill: fillOf(state),
      stroke: state.region ? COLORS.regionBorder : COLORS.border,
      'stroke-width': state.region ? 1.2 : 1.4,
      ...(state.region ? { 'stroke-dasharray': '6 4' } : {}),
    })}/>`,
  );
  const inset = state.type === 'final' ? FINAL_INSET : 0;
  if (inset > 0) {
    out.push(
      `  <rect ${attrs({ x: box.x + inset, y: box.y + inset, width: box.width - 2 * inset, height: box.height - 2 * inset, rx: 5, fill: 'none', stroke: COLORS.border, 'stroke-width': 1.2 })}/>`,
    );
  }
  out.push(
    `  <text ${attrs({
      x: box.x + TEXT_INSET + inset,
      y: box.y + inset + HEADER_BASELINE,
      'font-size': HEADER_SIZE,
      'font-weight': 'bold',
      ...(state.region ? { 'font-style': 'italic' } : {}),
      fill: state.region ? COLORS.regionName : COLORS.header,
    })}>${escapeXml(state.key)}</text>`,
  );
  if (state.lines.length > 0) {
    const top = box.y + inset + HEADER_HEIGHT;
    // Only atomic boxes get a rule under the name; in a compound box it would cut through arrows.
    if (state.type === 'atomic' || state.type === 'final') {
      out.push(`  <line ${attrs({ x1: box.x + inset + 1, y1: top - 2, x2: box.x + box.width - inset - 1, y2: top - 2, stroke: COLORS.separator, 'stroke-width': 1 })}/>`);
    }
    state.lines.forEach((line, index) => {
      out.push(
        `  <text ${attrs({
          x: state.linesOrigin.x,
          y: state.linesOrigin.y + LINE_BASELINE + index * LINE_HEIGHT,
          fill: COLORS.line[line.kind],
          class: `line ${line.kind}`,
          ...(line.transition === undefined ? {} : { 'data-transition': line.transition }),
        })}>${escapeXml(line.text)}</text>`,
      );
    });
  }
  out.push('</g>');
  return out.join('\n');
}

/** Rounds each bend so orthogonal routes read as one line rather than a staircase. */
function pathOf(points: readonly Point[], radius = 6): string {
  const [first, ...rest] = points;
  if (first === undefined) return '';
  const parts = [`M${fmt(first.x)},${fmt(first.y)}`];
  rest.forEach((point, index) => {
    const before = points[index] ?? point;
    const after = rest[index + 1];
    if (after === undefined) {
      parts.push(`L${fmt(point.x)},${fmt(point.y)}`);
      return;
    }
    const r = Math.min(radius, Math.hypot(point.x - before.x, point.y - before.y) / 2, Math.hypot(after.x - point.x, after.y - point.y) / 2);
    const towards = (from: Point, to: Point): Point => {
      const length = Math.hypot(to.x - from.x, to.y - from.y) || 1;
      return { x: from.x + ((to.x - from.x) / length) * r, y: from.y + ((to.y - from.y) / length) * r };
    };
    const start = towards(point, before);
    const end = towards(point, after);
    parts.push(`L${fmt(start.x)},${fmt(start.y)}`, `Q${fmt(point.x)},${fmt(point.y)} ${fmt(end.x)},${fmt(end.y)}`);
  });
  return parts.join(' ');
}

function edgeSvg(edge: LaidOutEdge, marker: string): string {
  const start = edge.points[0];
  return [
    `<g ${attrs({ id: `edge:${edge.id}`, class: 'transition', 'data-source': edge.source, 'data-target': edge.target })}>`,
    `  <path ${attrs({ d: pathOf(edge.points), fill: 'none', stroke: COLORS.edge, 'stroke-width': 1.3, 'marker-end': `url(#${marker})` })}/>`,
    // A dot where the arrow leaves tells an arrow from a compound box apart from one from a child
    // drawn right next to its border.
    ...(start === undefined ? [] : [`  <circle ${attrs({ cx: start.x, cy: start.y, r: 2.5, fill: COLORS.edge })}/>`]),
    '</g>',
  ].join('\n');
}

/** Labels go in a layer above every arrow so no line runs through their text. */
function labelSvg(edge: LaidOutEdge): string {
  const label = edge.label;
  if (label === undefined) return '';
  return [
    `<g ${attrs({ id: `label:${edge.id}`, class: 'transition-label', 'data-edge': edge.id })}>`,
    `  <rect ${attrs({ x: label.x, y: label.y, width: label.width, height: label.height, rx: 3, fill: COLORS.background, stroke: COLORS.separator, 'stroke-width': 0.8 })}/>`,
    ...label.lines.map((line, index) => {
      // Viewers collapse leading spaces, so an indented continuation line is moved instead.
      const text = line.trimStart();
      const indent = (line.length - text.length) * CHAR_WIDTH;
      return `  <text ${attrs({ x: label.x + 4 + indent, y: label.y + 2 + LINE_BASELINE + index * LINE_HEIGHT, fill: COLORS.label })}>${escapeXml(text)}</text>`;
    }),
    '</g>',
  ].join('\n');
}

function initialSvg(initial: LaidOutInitial, marker: string): string {
  return [
    `<g ${attrs({ id: `initial:${initial.parent}`, class: 'initial', 'data-target': initial.target })}>`,
    `  <circle ${attrs({ cx: initial.center.x, cy: initial.center.y, r: initial.radius - 1, fill: COLORS.header })}/>`,
    `  <path ${attrs({ d: pathOf(initial.points), fill: 'none', stroke: COLORS.header, 'stroke-width': 1.3, 'marker-end': `url(#${marker})` })}/>`,
    '</g>',
  ].join('\n');
}

/** The chart as an SVG document; identical input gives byte-identical output. */
export function toSvg(chart: LaidOutChart): string {
  const marker = `arrow-${chart.id}`;
  return [
    `<svg ${attrs({
      xmlns: 'http://www.w3.org/2000/svg',
      width: chart.width,
      height: chart.height,
      viewBox: `0 0 ${fmt(chart.width)} ${fmt(chart.height)}`,
      'font-family': FONT_FAMILY,
      'font-size': TEXT_SIZE,
      'data-machine': chart.id,
    })}>`,
    `<title>${escapeXml(chart.id)} state chart</title>`,
    '<defs>',
    `  <marker ${attrs({ id: marker, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' })}>`,
    `    <path d="M0,0 L10,5 L0,10 z" fill="${COLORS.edge}"/>`,
    '  </marker>',
    '</defs>',
    `<rect ${attrs({ width: '100%', height: '100%', fill: COLORS.background })}/>`,
    ...chart.states.map(stateSvg),
    ...chart.edges.map((edge) => edgeSvg(edge, marker)),
    ...chart.initials.map((initial) => initialSvg(initial, marker)),
    ...chart.edges.map(labelSvg).filter((text) => text !== ''),
    '</svg>',
    '',
  ].join('\n');
}
