/**
 * The chart as Mermaid `stateDiagram-v2` text, for places that render Mermaid (READMEs,
 * issues) rather than SVG files. It carries the same facts as the SVG; Mermaid does its own layout.
 */
import { allStates, inlineTransitionLabel, transitionLabel, type ChartState, type ChartTransition } from './chart-graph.js';

/** Words Mermaid's state grammar reserves; a state named like one gets an alias. */
const RESERVED = new Set(['state', 'note', 'end', 'as', 'left', 'right', 'of', 'direction', 'class', 'classDef', 'hide', 'click', 'style']);

/**
 * Mermaid ids are global to the diagram and bare words: a state keeps its key when that is
 * unique and plain, otherwise it gets an id built from its path and shows its key as a label.
 */
function mermaidIds(states: readonly ChartState[]): Map<string, string> {
  const keyCount = new Map<string, number>();
  for (const state of states) keyCount.set(state.key, (keyCount.get(state.key) ?? 0) + 1);
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  for (const state of states) {
    const plain = /^[A-Za-z_][A-Za-z0-9_]*$/.test(state.key) && !RESERVED.has(state.key) && keyCount.get(state.key) === 1;
    let id = plain ? state.key : `s_${state.id.replace(/[^A-Za-z0-9_]/g, '_')}`;
    while (taken.has(id)) id = `${id}_`;
    taken.add(id);
    ids.set(state.id, id);
  }
  return ids;
}

/** Characters Mermaid would read as syntax inside a label or description. */
const clean = (text: string): string => text.replace(/[;{}]/g, ' ').replace(/\s+/g, ' ').trim();

interface Context {
  readonly ids: ReadonlyMap<string, string>;
  readonly keyOf: (id: string) => string;
  /** Arrows to emit in the block of each state id (their lowest common ancestor). */
  readonly arrowsIn: ReadonlyMap<string, readonly string[]>;
}

const idOf = (context: Context, stateId: string): string => context.ids.get(stateId) ?? stateId;

function descriptionLines(state: ChartState, context: Context): string[] {
  return [
    ...(state.entry.length === 0 ? [] : [`entry / ${state.entry.join(', ')}`]),
    ...(state.exit.length === 0 ? [] : [`exit / ${state.exit.join(', ')}`]),
    ...state.invoke.map((invoke) => (invoke.id === invoke.src ? `invoke ${invoke.src}` : `invoke ${invoke.src} as ${invoke.id}`)),
    ...state.transitions.filter((transition) => transition.inline).map((transition) => inlineTransitionLabel(transition, context.keyOf)),
  ].map(clean);
}

function stateBlock(state: ChartState, context: Context, indent: string): string[] {
  const id = idOf(context, state.id);
  const out: string[] = [];
  if (id !== state.key) out.push(`${indent}state "${clean(state.key)}" as ${id}`);
  const descriptions = descriptionLines(state, context);
  if (state.children.length === 0) {
    if (id === state.key && descriptions.length === 0) out.push(`${indent}${id}`);
    out.push(...descriptions.map((line) => `${indent}${id} : ${line}`));
    return out;
  }
  out.push(`${indent}state ${id} {`);
  const inner = `${indent}  `;
  if (state.type === 'parallel') {
    state.children.forEach((region, index) => {
      if (index > 0) out.push(`${inner}--`);
      out.push(...stateBlock(region, context, inner));
    });
  } else {
    if (state.initial !== undefined) out.push(`${inner}[*] --> ${idOf(context, state.initial)}`);
    for (const child of state.children) out.push(...stateBlock(child, context, inner));
    for (const child of state.children) if (child.type === 'final') out.push(`${inner}${idOf(context, child.id)} --> [*]`);
  }
  out.push(...(context.arrowsIn.get(state.id) ?? []).map((arrow) => `${inner}${arrow}`));
  out.push(`${indent}}`);
  // Mermaid draws no descriptions on composite states; a note keeps their lines visible.
  if (descriptions.length > 0) out.push(`${indent}note left of ${id}`, ...descriptions.map((line) => `${inner}${line}`), `${indent}end note`);
  return out;
}

/** Arrow lines grouped by the state whose block must hold them, in document order. */
function arrowsByBlock(root: ChartState, ids: ReadonlyMap<string, string>): Map<string, string[]> {
  const states = allStates(root);
  const parentOf = new Map(states.flatMap((state) => state.children.map((child) => [child.id, state.id] as const)));
  const ancestors = (id: string): string[] => {
    const parent = parentOf.get(id);
    return parent === undefined ? [] : [parent, ...ancestors(parent)];
  };
  const blocks = new Map<string, string[]>();
  const seen = new Set<string>();
  const keyOf = new Map(states.map((state) => [state.id, state.key]));
  const add = (transition: ChartTransition, target: string): void => {
    const above = new Set(ancestors(transition.source));
    const block = ancestors(target).find((id) => above.has(id)) ?? root.id;
    // Mermaid cannot draw an arrow between states inside different composites, so the arrow
    // joins the outermost boxes that differ, and its label names the states it really joins.
    const outermost = (id: string): string => [id, ...ancestors(id)].find((candidate) => parentOf.get(candidate) === block) ?? id;
    const from = outermost(transition.source);
    const to = outermost(target);
    const lifted = from === transition.source && to === target ? '' : ` (${keyOf.get(transition.source)} → ${keyOf.get(target)})`;
    const line = `${ids.get(from) ?? from} --> ${ids.get(to) ?? to} : ${clean(transitionLabel(transition) + lifted)}`;
    if (seen.has(line)) return;
    seen.add(line);
    blocks.set(block, [...(blocks.get(block) ?? []), line]);
  };
  for (const transition of states.flatMap((state) => state.transitions)) {
    if (!transition.inline) for (const target of transition.targets) add(transition, target);
  }
  return blocks;
}

/** The chart as a Mermaid `stateDiagram-v2` document, the machine's root drawn as the outer state. */
export function toMermaid(root: ChartState): string {
  const states = allStates(root);
  const ids = mermaidIds(states);
  const keys = new Map(states.map((state) => [state.id, state.key]));
  const context: Context = { ids, keyOf: (id) => keys.get(id) ?? id, arrowsIn: arrowsByBlock(root, ids) };
  return [
    'stateDiagram-v2',
    `  %% The ${root.id} machine. Generated by scripts/visualize.ts from machines/; do not edit.`,
    `  [*] --> ${idOf(context, root.id)}`,
    ...stateBlock(root, context, '  '),
    '',
  ].join('\n');
}
