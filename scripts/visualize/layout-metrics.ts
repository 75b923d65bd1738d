/**
 * Numbers that say how readable a laid-out chart is: how far its arrows run, how often they
 * cross, how far each label sits from its own arrow, and whether boxes collide. Computed from
 * the layout alone (no rendering), so a test can pin them and a layout change can be compared.
 */
import type { LaidOutChart, Point, Rect } from './layout-types.js';

/** Summary figures of one laid-out chart. */
export interface LayoutMetrics {
  readonly width: number;
  readonly height: number;
  readonly arrows: number;
  /** Sum of the lengths of every transition arrow, in px. */
  readonly totalEdgeLength: number;
  /** Points where segments of two different transition arrows properly cross. */
  readonly crossings: number;
  /** Per labelled arrow, the gap between the label's box and the arrow's line (0 when it touches). */
  readonly labelDistances: ReadonlyMap<string, number>;
  /** Per labelled arrow, the gap between the label's box and the nearest other arrow's line. */
  readonly labelDistancesToOthers: ReadonlyMap<string, number>;
  /** Labels whose box is touched by some other arrow's line, so they could be read as its label. */
  readonly labelsOnOtherArrows: readonly string[];
  /** Pairs of label boxes that overlap. */
  readonly labelOverlaps: readonly (readonly [string, string])[];
  /** Pairs of state boxes that overlap without one containing the other. */
  readonly stateOverlaps: readonly (readonly [string, string])[];
}

type Segment = readonly [Point, Point];

const segmentsOf = (points: readonly Point[]): Segment[] =>
  points.slice(1).map((end, index): Segment => [points[index] ?? end, end]);

const cross = (o: Point, a: Point, b: Point): number => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);

/** Strictly crossing: touching at an end or running along each other does not count. */
function crosses([a, b]: Segment, [c, d]: Segment): boolean {
  const d1 = cross(c, d, a);
  const d2 = cross(c, d, b);
  const d3 = cross(a, b, c);
  const d4 = cross(a, b, d);
  return d1 * d2 < 0 && d3 * d4 < 0;
}

const pointToRect = (p: Point, r: Rect): number =>
  Math.hypot(Math.max(r.x - p.x, 0, p.x - (r.x + r.width)), Math.max(r.y - p.y, 0, p.y - (r.y + r.height)));

/**
 * Gap between a segment and a box. The distance to a box is convex along the segment, so a
 * ternary search finds its minimum; bounded at 60 steps, far below a pixel for any chart.
 */
function segmentToRect([a, b]: Segment, r: Rect): number {
  const at = (t: number): number => pointToRect({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t }, r);
  let low = 0;
  let high = 1;
  for (let step = 0; step < 60; step++) {
    const m1 = low + (high - low) / 3;
    const m2 = high - (high - low) / 3;
    if (at(m1) <= at(m2)) high = m2;
    else low = m1;
  }
  return Math.min(at(0), at(1), at((low + high) / 2));
}

const lineToRect = (points: readonly Point[], r: Rect): number =>
  Math.min(Infinity, ...segmentsOf(points).map((segment) => segmentToRect(segment, r)));

const intersect = (a: Rect, b: Rect): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

const contains = (outer: Rect, inner: Rect): boolean =>
  inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;

/** Every figure of `LayoutMetrics` for `chart`. */
export function layoutMetrics(chart: LaidOutChart): LayoutMetrics {
  const edges = chart.edges;
  const totalEdgeLength = edges
    .flatMap((edge) => segmentsOf(edge.points))
    .reduce((sum, [a, b]) => sum + Math.hypot(b.x - a.x, b.y - a.y), 0);

  let crossings = 0;
  edges.forEach((edge, i) => {
    for (const other of edges.slice(i + 1)) {
      for (const segment of segmentsOf(edge.points)) {
        crossings += segmentsOf(other.points).filter((otherSegment) => crosses(segment, otherSegment)).length;
      }
    }
  });

  const labelDistances = new Map<string, number>();
  const labelDistancesToOthers = new Map<string, number>();
  const labelsOnOtherArrows: string[] = [];
  for (const edge of edges) {
    const label = edge.label;
    if (label === undefined) continue;
    labelDistances.set(edge.id, lineToRect(edge.points, label));
    const nearestOther = Math.min(Infinity, ...edges.filter((other) => other !== edge).map((other) => lineToRect(other.points, label)));
    labelDistancesToOthers.set(edge.id, nearestOther);
    if (nearestOther === 0) labelsOnOtherArrows.push(edge.id);
  }

  const labelled = edges.flatMap((edge) => (edge.label === undefined ? [] : [{ id: edge.id, box: edge.label }]));
  const labelOverlaps = labelled.flatMap((a, i) =>
    labelled.slice(i + 1).flatMap((b) => (intersect(a.box, b.box) ? [[a.id, b.id] as const] : [])),
  );
  const stateOverlaps = chart.states.flatMap((a, i) =>
    chart.states
      .slice(i + 1)
      .flatMap((b) => (intersect(a, b) && !contains(a, b) && !contains(b, a) ? [[a.id, b.id] as const] : [])),
  );

  return {
    width: chart.width,
    height: chart.height,
    arrows: edges.length,
    totalEdgeLength,
    crossings,
    labelDistances,
    labelDistancesToOthers,
    labelsOnOtherArrows,
    labelOverlaps,
    stateOverlaps,
  };
}
