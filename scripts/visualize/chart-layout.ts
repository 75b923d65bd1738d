/**
 * Positions for every box, arrow and label of a chart, computed by ELK's layered algorithm
 * over the whole hierarchy at once so arrows may cross state boundaries. The result is plain
 * data in absolute coordinates: the SVG writer draws it, and an inspector page can reuse it to
 * find where a state or transition is drawn.
 */
import elkBundle from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import type { AnyStateMachine } from 'xstate';
import { allStates, chartOf, type ChartState } from './chart-graph.js';
import { elkChart, elkId } from './elk-graph.js';
import { layoutMetrics } from './layout-metrics.js';
import type { LaidOutChart, LaidOutEdge, LaidOutInitial, LaidOutState, Point, Rect } from './layout-types.js';
import { CHILD_INSET, FINAL_INSET, INITIAL_SIZE } from './state-box.js';
import { HEADER_HEIGHT, TEXT_INSET } from './text-metrics.js';

export type * from './layout-types.js';

// The bundle is CommonJS: under NodeNext its default import is `module.exports`, and the
// constructor is that object's `default`.
const ELK = elkBundle.default;

function pointsOf(edge: ElkExtendedEdge | undefined): Point[] {
  const points: Point[] = [];
  for (const section of edge?.sections ?? []) {
    for (const point of [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]) {
      const last = points[points.length - 1];
      if (last === undefined || last.x !== point.x || last.y !== point.y) points.push({ x: point.x, y: point.y });
    }
  }
  return points;
}

function collect(node: ElkNode, nodes: Map<string, ElkNode>, edges: Map<string, ElkExtendedEdge>): void {
  nodes.set(node.id, node);
  for (const edge of node.edges ?? []) edges.set(edge.id, edge);
  for (const child of node.children ?? []) collect(child, nodes, edges);
}

const rectOf = (shape: { x?: number; y?: number; width?: number; height?: number } | undefined): Rect => ({
  x: shape?.x ?? 0,
  y: shape?.y ?? 0,
  width: shape?.width ?? 0,
  height: shape?.height ?? 0,
});

/** Axis-aligned bounds of each segment of a polyline (orthogonal routes make these exact). */
function segmentsOf(points: readonly Point[]): Rect[] {
  return points.slice(1).map((end, index) => {
    const start = points[index] ?? end;
    return { x: Math.min(start.x, end.x), y: Math.min(start.y, end.y), width: Math.abs(end.x - start.x), height: Math.abs(end.y - start.y) };
  });
}

const overlaps = (a: Rect, b: Rect, margin: number): boolean =>
  a.x - margin <= b.x + b.width && b.x <= a.x + a.width + margin && a.y - margin <= b.y + b.height && b.y <= a.y + a.height + margin;

/**
 * ELK gives a caption a layer of its own but centres it; under the state's name, at the left,
 * it reads as part of the box. Move it there unless an arrow, a label or a child is in the way.
 */
function captionOrigin(box: Rect, caption: Rect, obstacles: readonly Rect[]): Point {
  const candidates = [
    { ...caption, x: box.x + CHILD_INSET, y: box.y + HEADER_HEIGHT },
    { ...caption, x: box.x + CHILD_INSET },
  ];
  const spot = candidates.find((candidate) => !obstacles.some((obstacle) => overlaps(candidate, obstacle, 4))) ?? caption;
  return { x: spot.x, y: spot.y };
}

/**
 * The ELK choices no one setting wins everywhere, tried in turn. Greedy cycle breaking reverses
 * the fewest arrows and halves the session chart's crossings; depth-first from the initial
 * marker keeps the small charts free of them. Min-width layering stacks the session's two
 * regions instead of setting them side by side: fewer crossings, and a chart that fits a page.
 */
const CANDIDATES: readonly LayoutOptions[] = ['GREEDY', 'DEPTH_FIRST'].flatMap((cycleBreaking) =>
  ['NETWORK_SIMPLEX', 'MIN_WIDTH'].map((layering) => ({
    'elk.layered.cycleBreaking.strategy': cycleBreaking,
    'elk.layered.layering.strategy': layering,
  })),
);

/** Fewer crossings first, then shorter arrows: the order a reader notices them in. */
const readability = (chart: LaidOutChart): readonly [number, number] => {
  const metrics = layoutMetrics(chart);
  return [metrics.crossings, metrics.totalEdgeLength];
};

/**
 * Lays out an already extracted chart tree once per candidate setting and keeps the layout with
 * the fewest crossings (then the shortest arrows). `overrides` are ELK layout options applied
 * over the defaults in every nested graph (for experiments; the committed diagrams use none);
 * overrides that name the cycle breaking give that single layout.
 */
export async function layoutChart(chart: ChartState, overrides: LayoutOptions = {}): Promise<LaidOutChart> {
  if ('elk.layered.cycleBreaking.strategy' in overrides) return layoutOnce(chart, overrides);
  let best: { chart: LaidOutChart; score: readonly [number, number] } | undefined;
  // In order, and a tie keeps the earlier one, so the choice is deterministic.
  for (const candidate of CANDIDATES) {
    const laidOut = await layoutOnce(chart, { ...candidate, ...overrides });
    const score = readability(laidOut);
    if (best === undefined || score[0] < best.score[0] || (score[0] === best.score[0] && score[1] < best.score[1])) best = { chart: laidOut, score };
  }
  if (best === undefined) throw new Error('layoutChart: no candidate layout settings');
  return best.chart;
}

async function layoutOnce(chart: ChartState, overrides: LayoutOptions): Promise<LaidOutChart> {
  const input = elkChart(chart, overrides);
  const result = await new ELK().layout(input.graph);
  const nodes = new Map<string, ElkNode>();
  const edges = new Map<string, ElkExtendedEdge>();
  collect(result, nodes, edges);

  const drawnLines = [...edges.values()].flatMap((edge) => [...segmentsOf(pointsOf(edge)), ...(edge.labels ?? []).map(rectOf)]);
  const states: LaidOutState[] = [];
  const place = (state: ChartState, parent: ChartState | undefined, depth: number): void => {
    const box = rectOf(nodes.get(elkId.state(state.id)));
    const caption = nodes.get(elkId.caption(state.id));
    const inset = state.type === 'final' ? FINAL_INSET : 0;
    const children = [elkId.initial(state.id), ...state.children.map((child) => elkId.state(child.id))].flatMap((id) => {
      const node = nodes.get(id);
      return node === undefined ? [] : [rectOf(node)];
    });
    states.push({
      ...box,
      id: state.id,
      nodeId: state.nodeId,
      key: state.key,
      type: state.type,
      ...(parent === undefined ? {} : { parent: parent.id }),
      depth,
      region: parent?.type === 'parallel',
      lines: input.lines.get(state.id) ?? [],
      linesOrigin:
        caption === undefined
          ? { x: box.x + TEXT_INSET + inset, y: box.y + HEADER_HEIGHT + inset }
          : captionOrigin(box, rectOf(caption), [...drawnLines, ...children]),
    });
    for (const child of state.children) place(child, state, depth + 1);
  };
  place(chart, undefined, 0);

  const laidOutEdges = input.arrows.map((arrow, index): LaidOutEdge => {
    const edge = edges.get(elkId.edge(index));
    const label = edge?.labels?.[0];
    return {
      id: `${arrow.source}->${arrow.target}`,
      source: arrow.source,
      target: arrow.target,
      transitions: arrow.transitions.map((transition) => transition.id),
      points: pointsOf(edge),
      ...(label === undefined ? {} : { label: { ...rectOf(label), lines: arrow.label } }),
    };
  });

  const initials = allStates(chart).flatMap((state): LaidOutInitial[] => {
    const marker = nodes.get(elkId.initial(state.id));
    if (state.initial === undefined || marker === undefined) return [];
    const box = rectOf(marker);
    return [
      {
        parent: state.id,
        target: state.initial,
        center: { x: box.x + box.width / 2, y: box.y + box.height / 2 },
        radius: INITIAL_SIZE / 2,
        points: pointsOf(edges.get(elkId.initialEdge(state.id))),
      },
    ];
  });

  return {
    id: chart.id,
    width: Math.ceil(result.width ?? 0),
    height: Math.ceil(result.height ?? 0),
    states,
    edges: laidOutEdges,
    initials,
    chart,
  };
}

/** Lays out `machine`: every state box, arrow, label and initial marker, in absolute coordinates. */
export function layoutMachine(machine: AnyStateMachine): Promise<LaidOutChart> {
  return layoutChart(chartOf(machine));
}
