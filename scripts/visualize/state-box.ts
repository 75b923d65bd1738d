/**
 * What goes inside a state box besides its children (entry, exit, invoke and in-place
 * transition lines) and the fixed geometry of boxes that layout and drawing share.
 */
import { inlineTransitionLabel, type ChartState } from './chart-graph.js';
import type { StateLine } from './layout-types.js';
import { HEADER_CHAR_WIDTH, LINE_HEIGHT, TEXT_INSET, textWidth } from './text-metrics.js';

/** Gap between a compound box's border and its children. */
export const CHILD_INSET = 16;
/** Diameter of the initial-state dot's node. */
export const INITIAL_SIZE = 12;
/** Narrowest box, so short names do not give slivers. */
export const MIN_BOX_WIDTH = 96;
/** Inset of a final state's inner border. */
export const FINAL_INSET = 4;
/** Space under the last text line of a box. */
const LINES_GAP = 6;

/** The text lines of a state, in the order a reader wants them: entry, exit, invoke, transitions. */
export function stateLines(state: ChartState, keyOf: (id: string) => string): StateLine[] {
  const lines: StateLine[] = [];
  if (state.entry.length > 0) lines.push({ kind: 'entry', text: `entry / ${state.entry.join(', ')}` });
  if (state.exit.length > 0) lines.push({ kind: 'exit', text: `exit / ${state.exit.join(', ')}` });
  for (const invoke of state.invoke) {
    lines.push({ kind: 'invoke', text: invoke.id === invoke.src ? `invoke ${invoke.src}` : `invoke ${invoke.src} as ${invoke.id}` });
  }
  for (const transition of state.transitions) {
    if (transition.inline) lines.push({ kind: 'transition', text: inlineTransitionLabel(transition, keyOf), transition: transition.id });
  }
  return lines;
}

/** Estimated size of a block of lines (zero when there are none). */
export function linesSize(lines: readonly StateLine[]): { width: number; height: number } {
  return {
    width: Math.ceil(Math.max(0, ...lines.map((line) => textWidth(line.text)))),
    height: lines.length * LINE_HEIGHT + (lines.length > 0 ? LINES_GAP : 0),
  };
}

/** Width a box needs for its name alone. */
export const headerWidth = (key: string): number => Math.ceil(textWidth(key, HEADER_CHAR_WIDTH) + 2 * TEXT_INSET);
