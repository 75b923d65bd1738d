import type { AnyStateMachine, EventObject, InputFrom, SnapshotFrom } from 'xstate';
import { explore, type DeclaredTransition } from '../../machines/explore.js';

/** The union of the walks of one machine over several inputs. */
export interface Walk {
  readonly states: number;
  readonly steps: number;
  readonly declared: readonly DeclaredTransition[];
  readonly untaken: readonly DeclaredTransition[];
  readonly summary: string;
}

/**
 * Walks `machine` from each input under its alphabet, checks `check` in every reachable state,
 * and reports `states: N, transitions: taken/declared` for the union of the walks.
 */
export function walkAll<TMachine extends AnyStateMachine>(
  name: string,
  machine: TMachine,
  inputs: readonly InputFrom<TMachine>[],
  events: readonly EventObject[],
  options: {
    key?: (snapshot: SnapshotFrom<TMachine>) => string;
    check?: (snapshot: SnapshotFrom<TMachine>, path: readonly EventObject[]) => void;
  } = {},
): Walk {
  const taken = new Set<string>();
  let states = 0;
  let steps = 0;
  let declared: readonly DeclaredTransition[] = [];
  for (const input of inputs) {
    const result = explore({ machine, input, events, ...options });
    states += result.states;
    steps += result.steps;
    declared = result.declared;
    for (const key of result.taken.keys()) taken.add(key);
  }
  const untaken = declared.filter((t) => !taken.has(t.key));
  const summary =
    `${name}: states: ${states}, transitions: ${declared.length - untaken.length}/${declared.length}` +
    ` (${inputs.length} inputs, ${events.length} events, ${steps} steps)`;
  return { states, steps, declared, untaken, summary };
}
