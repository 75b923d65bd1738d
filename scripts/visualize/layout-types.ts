/**
 * The shape of a laid-out chart: plain data in absolute coordinates (origin top-left, y down),
 * shared by the layout, the SVG writer and any page that wants to find a state on the drawing.
 */
import type { ChartState, StateType } from './chart-graph.js';

/** A point in the chart's coordinate system (origin top-left, y down). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** An axis-aligned box: top-left corner and size. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** What a text line inside a state box stands for. */
export type LineKind = 'entry' | 'exit' | 'invoke' | 'transition';

/** One text line under a state's name. */
export interface StateLine {
  readonly kind: LineKind;
  readonly text: string;
  /** For `transition` lines: the `ChartTransition.id` it shows. */
  readonly transition?: string;
}

/** A state box, its text lines, and where they go. */
export interface LaidOutState extends Rect {
  /** `ChartState.id`: the state's dot-joined path, e.g. `session.lifecycle.syncing.active`. */
  readonly id: string;
  /** XState's `StateNode.id` (differs from `id` where the state declares a custom `id`). */
  readonly nodeId: string;
  readonly key: string;
  readonly type: StateType;
  readonly parent?: string;
  /** 0 for the machine's root. */
  readonly depth: number;
  /** A child of a parallel state: drawn as a dashed region rather than a state. */
  readonly region: boolean;
  readonly lines: readonly StateLine[];
  /** Top-left corner of the block of `lines`; each line is `LINE_HEIGHT` tall. */
  readonly linesOrigin: Point;
}

/** A label's box and its lines, one per transition it names. */
export interface LaidOutLabel extends Rect {
  readonly lines: readonly string[];
}

/** One arrow: every transition from `source` to `target`, drawn together. */
export interface LaidOutEdge {
  /** `<source>-><target>`; unique within the chart. */
  readonly id: string;
  readonly source: string;
  readonly target: string;
  /** `ChartTransition.id`s, in the order their candidates are tried. */
  readonly transitions: readonly string[];
  /** The polyline from source border to target border; the arrowhead goes at the last point. */
  readonly points: readonly Point[];
  readonly label?: LaidOutLabel;
}

/** The initial-state marker of a compound state: a dot and the arrow to its initial child. */
export interface LaidOutInitial {
  readonly parent: string;
  readonly target: string;
  readonly center: Point;
  readonly radius: number;
  readonly points: readonly Point[];
}

/** A whole chart, laid out. */
export interface LaidOutChart {
  /** The machine id. */
  readonly id: string;
  readonly width: number;
  readonly height: number;
  /** Parents before children, in document order, so drawing in order nests correctly. */
  readonly states: readonly LaidOutState[];
  readonly edges: readonly LaidOutEdge[];
  readonly initials: readonly LaidOutInitial[];
  /** The tree the layout was computed from. */
  readonly chart: ChartState;
}
