/**
 * The chart tree as an ELK graph: one ELK node per state (nested as the states are), a small
 * node per initial marker, a caption node for the text of each compound state, and one edge
 * per pair of states that transitions join, carrying its label.
 */
import type { ElkExtendedEdge, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import { arrowLabelLines } from './arrow-label.js';
import { allStates, type ChartState, type ChartTransition } from './chart-graph.js';
import type { StateLine } from './layout-types.js';
import { CHILD_INSET, FINAL_INSET, INITIAL_SIZE, MIN_BOX_WIDTH, headerWidth, linesSize, stateLines } from './state-box.js';
import { HEADER_HEIGHT, LINE_HEIGHT, TEXT_INSET, textWidth } from './text-metrics.js';

/** ELK ids of the nodes and edges made for a state (state ids can hold any character, so prefix them). */
export const elkId = {
  state: (id: string): string => `s:${id}`,
  initial: (id: string): string => `i:${id}`,
  caption: (id: string): string => `c:${id}`,
  initialEdge: (id: string): string => `init:${id}`,
  edge: (index: number): string => `edge:${index}`,
};

/** Every transition from one state to another, drawn as one arrow. */
export interface Arrow {
  readonly source: string;
  readonly target: string;
  readonly transitions: readonly ChartTransition[];
  readonly label: readonly string[];
}

/** The ELK input plus what is needed to read its result back. */
export interface ElkChart {
  readonly graph: ElkNode;
  readonly lines: ReadonlyMap<string, readonly StateLine[]>;
  /** Index `i` is ELK edge `elkId.edge(i)`. */
  readonly arrows: readonly Arrow[];
}

const MARGIN = 16;

/** Options of the graph as a whole. */
const ROOT_OPTIONS: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  // Absolute coordinates everywhere, so nothing downstream has to add up parent offsets.
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
  'elk.padding': `[top=${MARGIN},left=${MARGIN},bottom=${MARGIN},right=${MARGIN}]`,
};

/** Options every nested graph needs as well as the root: ELK reads them per graph, it does not inherit them. */
const NESTED_OPTIONS: LayoutOptions = {
  'elk.direction': 'DOWN',
  // Charts are full of cycles; chart-layout.ts tries both ways of breaking them (greedy and
  // depth-first) and keeps the better drawing. Depth-first here is the default when only one is made.
  'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
  // Shortens the arrows ELK's node placement left longer than they need be.
  'elk.layered.compaction.postCompaction.strategy': 'EDGE_LENGTH',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.spacing.nodeNode': '24',
  'elk.spacing.edgeNode': '10',
  'elk.spacing.edgeEdge': '8',
  'elk.spacing.edgeLabel': '4',
  'elk.layered.spacing.nodeNodeBetweenLayers': '30',
  'elk.layered.spacing.edgeNodeBetweenLayers': '10',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '8',
  // Regions of a parallel state share no arrows; kept in one layer they stand side by side.
  'elk.separateConnectedComponents': 'false',
};

/**
 * Transitions between the same two states share one arrow, so parallel arrows do not pile up.
 * Arrows come in document order of source, then target: ELK's depth-first cycle breaking
 * follows that order, which puts states top to bottom roughly as the source lists them.
 */
function arrowsOf(states: readonly ChartState[]): Arrow[] {
  const order = new Map(states.map((state, index) => [state.id, index]));
  const rank = (id: string): number => order.get(id) ?? 0;
  const grouped = new Map<string, { source: string; target: string; transitions: ChartTransition[] }>();
  for (const transition of states.flatMap((state) => state.transitions)) {
    if (transition.inline) continue;
    for (const target of transition.targets) {
      const key = `${transition.source}->${target}`;
      const arrow = grouped.get(key) ?? { source: transition.source, target, transitions: [] };
      arrow.transitions.push(transition);
      grouped.set(key, arrow);
    }
  }
  return [...grouped.values()]
    .sort((a, b) => rank(a.source) - rank(b.source) || rank(a.target) - rank(b.target))
    .map((arrow) => ({ ...arrow, label: arrowLabelLines(arrow.transitions) }));
}

function labelOf(arrow: Arrow, index: number): NonNullable<ElkExtendedEdge['labels']>[number] {
  return {
    id: `label:${index}`,
    text: arrow.label.join('\n'),
    width: Math.ceil(Math.max(...arrow.label.map((line) => textWidth(line))) + 8),
    height: arrow.label.length * LINE_HEIGHT + 4,
    // Beside the line, in room ELK reserves for it (a label dummy node), so no other arrow runs
    // through it. Inline labels sat on long shared channels, cut in by the lines next to them; end
    // (TAIL/HEAD) labels made the chart smaller, but ELK reserves no room for them and most ended
    // up under a neighbouring arrow.
    layoutOptions: { 'elk.edgeLabels.inline': 'false', 'elk.edgeLabels.placement': 'CENTER' },
  };
}

/** Builds the ELK graph of `chart`; `overrides` replace layout options in every nested graph. */
export function elkChart(chart: ChartState, overrides: LayoutOptions = {}): ElkChart {
  const states = allStates(chart);
  const keys = new Map(states.map((state) => [state.id, state.key]));
  const parentOf = new Map(states.flatMap((state) => state.children.map((child) => [child.id, state.id] as const)));
  const lines = new Map(states.map((state) => [state.id, stateLines(state, (id) => keys.get(id) ?? id)]));
  const shared: LayoutOptions = { ...NESTED_OPTIONS, ...overrides };
  const nodes = new Map<string, ElkNode>();

  const toElk = (state: ChartState): ElkNode => {
    const text = linesSize(lines.get(state.id) ?? []);
    if (state.children.length === 0) {
      const border = state.type === 'final' ? 2 * FINAL_INSET : 0;
      const node: ElkNode = {
        id: elkId.state(state.id),
        width: Math.max(MIN_BOX_WIDTH, headerWidth(state.key), text.width + 2 * TEXT_INSET) + border,
        height: HEADER_HEIGHT + text.height + 4 + border,
      };
      nodes.set(state.id, node);
      return node;
    }
    // A compound state's lines are a node of their own in its first layer, so arrows entering
    // the box are routed around the text instead of through it.
    const caption: ElkNode[] =
      text.height === 0
        ? []
        : [{ id: elkId.caption(state.id), ...text, layoutOptions: { 'elk.layered.layering.layerConstraint': 'FIRST' } }];
    const initial: ElkNode[] =
      state.initial === undefined ? [] : [{ id: elkId.initial(state.id), width: INITIAL_SIZE, height: INITIAL_SIZE }];
    const node: ElkNode = {
      id: elkId.state(state.id),
      children: [...caption, ...initial, ...state.children.map(toElk)],
      edges:
        state.initial === undefined
          ? []
          : [{ id: elkId.initialEdge(state.id), sources: [elkId.initial(state.id)], targets: [elkId.state(state.initial)] }],
      layoutOptions: {
        ...shared,
        'elk.padding': `[top=${HEADER_HEIGHT + 4},left=${CHILD_INSET},bottom=${CHILD_INSET},right=${CHILD_INSET}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${headerWidth(state.key)}, ${HEADER_HEIGHT + CHILD_INSET})`,
      },
    };
    nodes.set(state.id, node);
    return node;
  };

  const graph: ElkNode = { id: 'graph', layoutOptions: { ...ROOT_OPTIONS, ...shared }, children: [toElk(chart)], edges: [] };
  const selfAndAncestors = (id: string): string[] => {
    const parent = parentOf.get(id);
    return parent === undefined ? [id] : [id, ...selfAndAncestors(parent)];
  };
  const arrows = arrowsOf(states);
  arrows.forEach((arrow, index) => {
    // ELK wants each edge in the innermost node that contains both of its ends.
    const aboveSource = new Set(selfAndAncestors(arrow.source));
    const container = selfAndAncestors(arrow.target).find((id) => aboveSource.has(id) && id !== arrow.source && id !== arrow.target);
    const owner = (container === undefined ? undefined : nodes.get(container)) ?? graph;
    owner.edges?.push({
      id: elkId.edge(index),
      sources: [elkId.state(arrow.source)],
      targets: [elkId.state(arrow.target)],
      labels: [labelOf(arrow, index)],
    });
  });
  return { graph, lines, arrows };
}
