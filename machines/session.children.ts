import type { AnyActorRef } from 'xstate';
import type { Direction } from './types.js';

/** Child actor id of wait `id`. */
export const waiterChildId = (id: string): string => `wait:${id}`;
/** Child actor id of progress registration `id`. */
export const notifierChildId = (id: string): string => `progress:${id}`;

/** `record` without `key`. */
export const removeKey = <T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> => {
  const { [key]: _removed, ...rest } = record;
  return rest;
};

/** The public id inside a child actor id (`wait:<id>` or `progress:<id>`). */
export const idOfChild = (actorId: string): string => actorId.slice(actorId.indexOf(':') + 1);

/**
 * Child ids of the entries of `registry` (of `direction`, if given) that still run. A child
 * that reached its final state in this same step stays listed until its completion event
 * releases it, and must not be sent to.
 */
export function running(
  self: AnyActorRef,
  registry: Readonly<Record<string, Direction>>,
  childId: (id: string) => string,
  direction?: Direction,
): string[] {
  const entries = Object.entries(registry);
  // With nothing registered there is nothing to filter; this is also the case while the actor
  // initializes, when its snapshot cannot be read yet.
  if (entries.length === 0) return [];
  const children: Readonly<Record<string, AnyActorRef | undefined>> = self.getSnapshot().children ?? {};
  return entries
    .filter(([, d]) => direction === undefined || d === direction)
    .map(([id]) => childId(id))
    .filter((id) => children[id]?.getSnapshot().status !== 'done');
}

