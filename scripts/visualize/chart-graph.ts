/**
 * A machine as a plain tree: the shape every writer (SVG, Mermaid, an inspector page) needs,
 * with no XState objects left in it, so it can be serialised and compared.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { actionLabels, eventLabel, guardLabel } from './chart-labels.js';

/** Kinds of state node, as XState names them. */
export type StateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

/** One candidate transition of a state: one event, at most one guard. */
export interface ChartTransition {
  /** Unique within the chart: `<source id>:<event type>:<candidate index>`. */
  readonly id: string;
  /** `ChartState.id` of the state that declares it. */
  readonly source: string;
  /** XState's event descriptor (`''` for eventless transitions). */
  readonly eventType: string;
  /** The readable event: `store.closed`, `always`, `after refreshRetry`, `done: clientReset`. */
  readonly event: string;
  readonly guard?: string;
  readonly actions: readonly string[];
  /** `ChartState.id`s of the targets; empty when the transition only runs actions. */
  readonly targets: readonly string[];
  /** Exits and re-enters its target even when the target is (or contains) its source. */
  readonly reenter: boolean;
  /**
   * Drawn as a text line inside its source box rather than as an arrow: it has no target, or
   * targets its own source, an ancestor or a descendant (arrows that would only clutter).
   */
  readonly inline: boolean;
}

/** An actor a state invokes while it is active. */
export interface ChartInvoke {
  readonly id: string;
  readonly src: string;
}

/** One state node and its subtree. */
export interface ChartState {
  /**
   * The state's path from the machine root, dot-joined: `session.lifecycle.syncing.active`.
   * Unlike XState's ids it is never replaced by a custom `#id`, so it follows from
   * `snapshot.value` alone.
   */
  readonly id: string;
  /** XState's `StateNode.id`: the same as `id` unless the state declares a custom `id`. */
  readonly nodeId: string;
  readonly key: string;
  readonly type: StateType;
  /** Id of the initial child of a compound state. */
  readonly initial?: string;
  readonly children: readonly ChartState[];
  readonly transitions: readonly ChartTransition[];
  readonly entry: readonly string[];
  readonly exit: readonly string[];
  readonly invoke: readonly ChartInvoke[];
}

const pathIdOf = (node: AnyStateNode): string => (node.parent === undefined ? node.key : `${pathIdOf(node.parent)}.${node.key}`);

const isSameOrRelated = (a: AnyStateNode, b: AnyStateNode): boolean => {
  const isAncestorOrSelf = (ancestor: AnyStateNode, node: AnyStateNode | undefined): boolean =>
    node === undefined ? false : node === ancestor || isAncestorOrSelf(ancestor, node.parent);
  return isAncestorOrSelf(a, b) || isAncestorOrSelf(b, a);
};

function transitionsOf(node: AnyStateNode): ChartTransition[] {
  const groups: [string, readonly AnyTransitionDefinition[]][] = [...node.transitions];
  if (node.always !== undefined) groups.push(['', node.always]);
  return groups.flatMap(([eventType, candidates]) =>
    candidates.map((candidate, index): ChartTransition => {
      const targets = candidate.target ?? [];
      const delay = 'delay' in candidate ? candidate.delay : undefined;
      const guard = guardLabel(candidate.guard);
      return {
        id: `${pathIdOf(node)}:${eventType}:${index}`,
        source: pathIdOf(node),
        eventType,
        event: eventLabel(eventType, delay),
        ...(guard === undefined ? {} : { guard }),
        actions: actionLabels(candidate.actions),
        targets: targets.map(pathIdOf),
        reenter: candidate.reenter,
        inline: targets.length === 0 || targets.some((target) => isSameOrRelated(node, target)),
      };
    }),
  );
}

function invokesOf(node: AnyStateNode): ChartInvoke[] {
  return node.invoke.map((definition) => ({
    id: definition.id,
    // Inline actor logic has no name of its own; its invocation id is the best handle.
    src: typeof definition.src === 'string' ? definition.src : definition.id,
  }));
}

function stateOf(node: AnyStateNode): ChartState {
  const initialNode = node.type === 'compound' ? node.initial?.target[0] : undefined;
  const initial = initialNode === undefined ? undefined : pathIdOf(initialNode);
  return {
    id: pathIdOf(node),
    nodeId: node.id,
    key: node.key,
    type: node.type,
    ...(initial === undefined ? {} : { initial }),
    children: Object.values(node.states).map(stateOf),
    transitions: transitionsOf(node),
    entry: actionLabels(node.entry),
    exit: actionLabels(node.exit),
    invoke: invokesOf(node),
  };
}

/** The machine's state tree, in document order, with readable transition parts. */
export function chartOf(machine: AnyStateMachine): ChartState {
  return stateOf(machine.root);
}

/** Every state of the tree, parents before children, in document order. */
export function allStates(root: ChartState): ChartState[] {
  return [root, ...root.children.flatMap(allStates)];
}

/** `event [guard]`: how an arrow is labelled. */
export function transitionLabel(transition: ChartTransition): string {
  return transition.guard === undefined ? transition.event : `${transition.event} [${transition.guard}]`;
}

/**
 * `event [guard] → target / action, action`: how a transition drawn inside its box reads. A
 * target is named even when it is the box itself: that resets the box's children to their
 * initial states, and with `reenter` runs its exit and entry actions, which a targetless
 * transition does not.
 */
export function inlineTransitionLabel(transition: ChartTransition, keyOf: (id: string) => string): string {
  const reenter = transition.reenter ? ' (reenter)' : '';
  const arrow = transition.targets.length === 0 ? '' : ` → ${transition.targets.map(keyOf).join(', ')}${reenter}`;
  // A candidate with neither target nor actions still consumes its event: say so rather than
  // leave a bare event name that looks like a typo.
  const nothing = transition.targets.length === 0 && transition.actions.length === 0 ? ' (ignored)' : '';
  const actions = transition.actions.length === 0 ? nothing : ` / ${transition.actions.join(', ')}`;
  return `${transitionLabel(transition)}${arrow}${actions}`;
}
