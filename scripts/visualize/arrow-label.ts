/**
 * The label of one arrow that stands for several transitions between the same two states,
 * kept small because labels decide how wide the layout's layers get.
 */
import type { ChartTransition } from './chart-graph.js';

/**
 * The label lines of an arrow standing for `transitions`. Candidates of one event join their
 * guards with `||` (an unguarded one makes the event unconditional), then events sharing a
 * guard share a line. Arrows never show candidate priority, so merging hides nothing drawn.
 */
export function arrowLabelLines(transitions: readonly ChartTransition[]): string[] {
  const guardsByEvent = new Map<string, (string | undefined)[]>();
  for (const transition of transitions) {
    guardsByEvent.set(transition.event, [...(guardsByEvent.get(transition.event) ?? []), transition.guard]);
  }
  const eventsByGuard = new Map<string, string[]>();
  for (const [event, guards] of guardsByEvent) {
    const guard = guards.includes(undefined) ? '' : [...new Set(guards)].join(' || ');
    eventsByGuard.set(guard, [...(eventsByGuard.get(guard) ?? []), event]);
  }
  return [...eventsByGuard].flatMap(([guard, events]) => {
    const line = guard === '' ? events.join(', ') : `${events.join(', ')} [${guard}]`;
    if (line.length <= WRAP_AT) return [line];
    // Narrow labels keep layers narrow; continuation lines are indented so each group reads as one.
    const wrapped: string[] = [];
    events.forEach((event, index) => {
      const text = index < events.length - 1 ? `${event},` : event;
      const last = wrapped[wrapped.length - 1];
      if (last !== undefined && last.length + 1 + text.length <= WRAP_AT) wrapped[wrapped.length - 1] = `${last} ${text}`;
      else wrapped.push(last === undefined ? text : `  ${text}`);
    });
    return guard === '' ? wrapped : [...wrapped, `  [${guard}]`];
  });
}

/** Label lines longer than this many characters are wrapped. */
const WRAP_AT = 30;
