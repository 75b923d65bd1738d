/**
 * The generated charts stay readable: every state is drawn (the inspector lights `state:<path>`
 * groups), no two boxes collide, each label sits just beside its own arrow and under no other,
 * and the session chart keeps few crossings. Computed from the layout itself, not a rendering.
 */
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { connectionMachine, progressMachine, sessionMachine, waiterMachine } from '../../machines/index.js';
import { allStates, chartOf } from '../../scripts/visualize/chart-graph.js';
import { layoutChart, type LaidOutChart } from '../../scripts/visualize/chart-layout.js';
import { layoutMetrics } from '../../scripts/visualize/layout-metrics.js';
import { toSvg } from '../../scripts/visualize/svg-writer.js';

const machines: readonly (readonly [string, AnyStateMachine])[] = [
  ['session', sessionMachine],
  ['connection', connectionMachine],
  ['progress', progressMachine],
  ['waiter', waiterMachine],
];

/** A label further than this from its arrow is read as floating, not as the arrow's. */
const MAX_LABEL_GAP = 8;
/** How much nearer its own arrow than any other a label must be for the eye to tell them apart. */
const MIN_LABEL_MARGIN = 3;

const laidOut = new Map<string, Promise<LaidOutChart>>(machines.map(([name, machine]) => [name, layoutChart(chartOf(machine))]));
const chart = (name: string): Promise<LaidOutChart> => laidOut.get(name) ?? Promise.reject(new Error(`no machine ${name}`));

describe.each(machines)('%s chart layout', (name, machine) => {
  it('draws every state of the machine as a state:<path> group', async () => {
    const svg = toSvg(await chart(name));
    for (const state of allStates(chartOf(machine))) {
      expect(svg, state.id).toContain(`<g id="state:${state.id}" class="state`);
    }
  });

  it('overlaps no two state boxes and no two labels', async () => {
    const metrics = layoutMetrics(await chart(name));
    expect(metrics.stateOverlaps).toEqual([]);
    expect(metrics.labelOverlaps).toEqual([]);
  });

  it('puts every label beside its own arrow: not on it, within a few px, and on no other arrow', async () => {
    const metrics = layoutMetrics(await chart(name));
    expect(metrics.labelDistances.size).toBeGreaterThan(0);
    for (const [edge, distance] of metrics.labelDistances) {
      expect(distance, edge).toBeGreaterThan(0);
      expect(distance, edge).toBeLessThanOrEqual(MAX_LABEL_GAP);
    }
    expect(metrics.labelsOnOtherArrows).toEqual([]);
  });

  it('puts every label clearly nearer its own arrow than any other, so it is not read as a neighbour\'s', async () => {
    const metrics = layoutMetrics(await chart(name));
    for (const [edge, distance] of metrics.labelDistances) {
      expect(metrics.labelDistancesToOthers.get(edge), edge).toBeGreaterThan(distance + MIN_LABEL_MARGIN);
    }
  });
});

describe('session chart', () => {
  // The old layout (depth-first, inline labels) drew 81 crossings and 87,600 px of arrows; the chosen one has 26 and 61,474.
  it('keeps crossings and arrow length well below the old layout', async () => {
    const metrics = layoutMetrics(await chart('session'));
    expect(metrics.crossings).toBeLessThanOrEqual(32);
    expect(metrics.totalEdgeLength).toBeLessThanOrEqual(65_000);
  });
});

describe('layoutMetrics', () => {
  it('counts a crossing and finds a label lying on a foreign arrow', async () => {
    const base = await chart('progress');
    const [first] = base.edges;
    if (first?.label === undefined) throw new Error('progress chart has no labelled arrow');
    const label = first.label;
    const across = { x: label.x + label.width / 2, y: label.y - 50 };
    const crossing: LaidOutChart = {
      ...base,
      edges: [
        { ...first, id: 'a', points: [{ x: 0, y: 0 }, { x: 100, y: 100 }], label: { ...label, x: 200, y: 0 } },
        { ...first, id: 'b', label: undefined, points: [{ x: 100, y: 0 }, { x: 0, y: 100 }] },
        { ...first, id: 'c', label: undefined, points: [across, { x: across.x, y: label.y + label.height + 50 }] },
        { ...first, id: 'd', points: [{ x: label.x - 3, y: label.y }, { x: label.x - 3, y: label.y + label.height }] },
      ],
    };
    const metrics = layoutMetrics(crossing);
    expect(metrics.crossings).toBe(1);
    expect(metrics.labelsOnOtherArrows).toEqual(['d']);
    expect(metrics.labelDistancesToOthers.get('d')).toBe(0);
    expect(metrics.labelDistances.get('d')).toBeCloseTo(3, 5);
  });
});
