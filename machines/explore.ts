import {
  createActor,
  getNextTransitions,
  type ActorScope,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type AnyTransitionDefinition,
  type EventObject,
  type InputFrom,
  type SnapshotFrom,
  type StateNode,
} from 'xstate';

/** One transition written in a chart: where it starts, what fires it, which branch it is. */
export interface DeclaredTransition {
  /** Stable name: `source —event[branch]→ targets`. */
  readonly key: string;
  readonly source: string;
  readonly eventType: string;
  readonly branch: number;
  readonly targets: readonly string[];
  readonly guard: string | undefined;
}

/** How to walk one machine. */
export interface ExploreOptions<TMachine extends AnyStateMachine> {
  readonly machine: TMachine;
  readonly input?: InputFrom<TMachine>;
  /** The alphabet: every event type with payloads that reach both outcomes of each guard. */
  readonly events: readonly EventObject[];
  /** Identity of a state for the walk; two snapshots with one key are one state. */
  readonly key?: (snapshot: SnapshotFrom<TMachine>) => string;
  /** Called on every reachable state; throw to report a broken invariant. */
  readonly check?: (snapshot: SnapshotFrom<TMachine>, path: readonly EventObject[]) => void;
  /** The walk fails rather than run past this many states. */
  readonly maxStates?: number;
}

/** What a walk found. */
export interface Exploration {
  readonly states: number;
  /** Edges walked: (state, event) pairs that were applied. */
  readonly steps: number;
  readonly declared: readonly DeclaredTransition[];
  /** Keys of the declared transitions some step took, with how often. */
  readonly taken: ReadonlyMap<string, number>;
  /** A shortest event path reaching each state key. */
  readonly paths: ReadonlyMap<string, readonly EventObject[]>;
}

const stateNodesOf = (node: StateNode<any, any>): StateNode<any, any>[] => [
  node,
  ...Object.values(node.states).flatMap((child) => stateNodesOf(child)),
];

const guardName = (t: AnyTransitionDefinition): string | undefined => {
  const guard: unknown = t.guard;
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'inline';
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String(guard.type);
  return 'inline';
};

const branchesOf = (node: StateNode<any, any>): Array<[string, readonly AnyTransitionDefinition[]]> => [
  ...[...node.transitions.entries()],
  ...(node.always ? ([['', node.always]] as Array<[string, AnyTransitionDefinition[]]>) : []),
];

/** Every transition a machine declares, in document order. */
export function declaredTransitions(machine: AnyStateMachine): DeclaredTransition[] {
  return stateNodesOf(machine.root).flatMap((node) =>
    branchesOf(node).flatMap(([eventType, list]) =>
      list.map((t, branch) => {
        const targets = (t.target ?? []).map((target: StateNode<any, any>) => target.id);
        const label = eventType === '' ? 'always' : eventType;
        return {
          key: `${node.id} —${label}[${branch}]→ ${targets.join(',') || '(self)'}`,
          source: node.id,
          eventType: label,
          branch,
          targets,
          guard: guardName(t),
        };
      }),
    ),
  );
}

/**
 * Maps each transition object of `machine` to its declared key, so an inspector of a running
 * actor (`@xstate.microstep` events carry the transitions taken) can report coverage.
 */
export function transitionKeys(machine: AnyStateMachine): Map<AnyTransitionDefinition, string> {
  const keys = new Map<AnyTransitionDefinition, string>();
  const declared = declaredTransitions(machine);
  let i = 0;
  for (const node of stateNodesOf(machine.root)) {
    for (const [, list] of branchesOf(node)) {
      for (const t of list) keys.set(t, declared[i++]!.key);
    }
  }
  return keys;
}

const defaultKey = (snapshot: AnyMachineSnapshot): string =>
  JSON.stringify({ value: snapshot.value, context: snapshot.context, children: Object.keys(snapshot.children).sort() });

/**
 * Explores every state a machine can reach from its initial state under an alphabet, with
 * XState's pure transition function: nothing runs, no timer starts. Delayed (`after`) and
 * invoked-actor completion events are added for each state from the transitions it declares,
 * so they are walked too; a child's completion is delivered only while that child exists, as
 * in a running actor. A step that crashes the machine (status `error`) fails the walk. Records which declared transitions were taken, including eventless
 * ones, by listening to the microsteps of an actor scope that executes nothing.
 */
export function explore<TMachine extends AnyStateMachine>(options: ExploreOptions<TMachine>): Exploration {
  const { machine, events, check } = options;
  const keyOf = (options.key ?? defaultKey) as (snapshot: AnyMachineSnapshot) => string;
  const maxStates = options.maxStates ?? 100_000;
  const keys = transitionKeys(machine);
  const taken = new Map<string, number>();

  const host = createActor(machine, { input: options.input } as never);
  host.system.inspect((inspectionEvent) => {
    if (inspectionEvent.type !== '@xstate.microstep' || inspectionEvent.actorRef !== host) return;
    for (const t of inspectionEvent._transitions) {
      const key = keys.get(t);
      if (key !== undefined) taken.set(key, (taken.get(key) ?? 0) + 1);
    }
  });
  // An actor scope that runs nothing: actions, spawns and delays stay descriptions.
  const scope = {
    self: host,
    defer: () => {},
    id: '',
    logger: () => {},
    sessionId: '',
    stopChild: () => {},
    system: host.system,
    emit: () => {},
    actionExecutor: () => {},
  } as unknown as ActorScope<AnyMachineSnapshot, EventObject>;

  const initial = machine.getInitialSnapshot(scope as never, options.input) as AnyMachineSnapshot;
  const paths = new Map<string, readonly EventObject[]>([[keyOf(initial), []]]);
  const queue: Array<[AnyMachineSnapshot, readonly EventObject[]]> = [[initial, []]];
  let steps = 0;
  for (let head = 0; head < queue.length; head++) {
    const [snapshot, path] = queue[head]!;
    check?.(snapshot as SnapshotFrom<TMachine>, path);
    if (snapshot.status !== 'active') continue;
    for (const event of [...events, ...builtInEvents(snapshot, events)]) {
      if (!deliverable(snapshot, event)) continue;
      steps++;
      const next = machine.transition(snapshot as never, event as never, scope as never) as AnyMachineSnapshot;
      if (next.status === 'error') {
        throw new Error(`${JSON.stringify(event)} crashed the machine (${String(next.error)}) after:\n  ${path.map((e) => JSON.stringify(e)).join('\n  ')}`);
      }
      const key = keyOf(next);
      if (paths.has(key)) continue;
      if (paths.size >= maxStates) throw new Error(`more than ${maxStates} states: the alphabet or the key is unbounded`);
      const nextPath = [...path, event];
      paths.set(key, nextPath);
      queue.push([next, nextPath]);
    }
  }
  return { states: paths.size, steps, declared: declaredTransitions(machine), taken, paths };
}

/**
 * Events the machine raises for itself in this state and the alphabet does not name: the
 * expiry of each `after` delay and the completion of each invoked actor.
 */
function builtInEvents(snapshot: AnyMachineSnapshot, alphabet: readonly EventObject[]): EventObject[] {
  const named = new Set(alphabet.map((e) => e.type));
  const extra = new Map<string, EventObject>();
  for (const t of getNextTransitions(snapshot)) {
    const type = t.eventType;
    if (named.has(type) || extra.has(type) || type.includes('*')) continue;
    if (type.startsWith('xstate.after.')) extra.set(type, { type });
    else if (type.startsWith('xstate.done.actor.')) extra.set(type, { type, output: undefined } as EventObject);
  }
  return [...extra.values()];
}

const childEvent = /^xstate\.(?:done|error)\.actor\.(.+)$/;

/** A child's completion reaches its parent only while that child exists. */
function deliverable(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  const child = childEvent.exec(event.type)?.[1];
  return child === undefined || child in snapshot.children;
}
