/**
 * Readable names for the parts of a transition XState v5 stores in machine-internal form:
 * event descriptors, guards and actions. Everything here takes `unknown` because the machine
 * objects hold strings, `{ type, params }` objects and tagged functions side by side.
 */

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** A function XState has tagged with extra properties (`type`, `guards`, `stateValue`, ...). */
type Tagged = ((...args: never[]) => unknown) & { readonly [key: string]: unknown };

const isTagged = (value: unknown): value is Tagged => typeof value === 'function';

/** Primitive params are worth showing (`isAbove(limit=3)`); functions and nested objects are not. */
function paramsSuffix(params: unknown): string {
  if (!isRecord(params)) return '';
  const parts = Object.entries(params)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .map(([key, value]) => `${key}=${String(value)}`);
  return parts.length === 0 ? '' : `(${parts.join(', ')})`;
}

function stateValueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `nested` asks for parentheses around binary operators so `!(a && b)` stays unambiguous. */
function describeGuard(guard: unknown, nested: boolean): string {
  if (typeof guard === 'string') return guard;
  if (isTagged(guard)) {
    const parts = guard['guards'];
    if ((guard.name === 'and' || guard.name === 'or') && Array.isArray(parts)) {
      const text = parts.map((part) => describeGuard(part, true)).join(guard.name === 'and' ? ' && ' : ' || ');
      return nested && parts.length > 1 ? `(${text})` : text;
    }
    if (guard.name === 'not' && Array.isArray(parts) && parts.length === 1) {
      return `!${describeGuard(parts[0], true)}`;
    }
    if (guard.name === 'stateIn' && 'stateValue' in guard) return `in(${stateValueText(guard['stateValue'])})`;
    // Inline arrow functions are named after the config key they were written under ('guard').
    return guard.name !== '' && guard.name !== 'guard' ? guard.name : 'inline guard';
  }
  if (isRecord(guard) && typeof guard['type'] === 'string') return guard['type'] + paramsSuffix(guard['params']);
  return 'guard';
}

/** The readable form of a transition guard: `isClientReset && !resetNeedsUser`; undefined when unguarded. */
export function guardLabel(guard: unknown): string | undefined {
  return guard === undefined || guard === null ? undefined : describeGuard(guard, false);
}

const AFTER = 'xstate.after.';
const DONE_ACTOR = 'xstate.done.actor.';
const ERROR_ACTOR = 'xstate.error.actor.';
const DONE_STATE = 'xstate.done.state.';

/**
 * The readable form of an event descriptor: `always` for eventless transitions, `after <delay>`,
 * `done: <actor>` / `error: <actor>` for invocations, `child done` for the `*` wildcard.
 * `delay` is the delayed transition's own `delay` field, preferred because delay names may
 * contain dots that make the descriptor ambiguous.
 */
export function eventLabel(eventType: string, delay?: unknown): string {
  if (eventType === '') return 'always';
  if (eventType.startsWith(AFTER)) {
    if (typeof delay === 'string') return `after ${delay}`;
    if (typeof delay === 'number') return `after ${delay}ms`;
    const name = eventType.slice(AFTER.length).split('.')[0] ?? '';
    return /^\d+$/.test(name) ? `after ${name}ms` : `after ${name}`;
  }
  if (eventType === `${DONE_ACTOR}*`) return 'child done';
  if (eventType === `${ERROR_ACTOR}*`) return 'child error';
  if (eventType.startsWith(DONE_ACTOR)) return `done: ${eventType.slice(DONE_ACTOR.length)}`;
  if (eventType.startsWith(ERROR_ACTOR)) return `error: ${eventType.slice(ERROR_ACTOR.length)}`;
  if (eventType.startsWith(DONE_STATE)) return `done: ${eventType.slice(DONE_STATE.length).split('.').pop() ?? ''}`;
  return eventType;
}

/** XState schedules `after` timers with a raise on entry and a cancel on exit; the chart already says `after`. */
function isDelayBookkeeping(action: Tagged): boolean {
  const event = action['event'];
  const ids = [action['id'], action['sendId'], isRecord(event) ? event['type'] : undefined];
  return ids.some((id) => typeof id === 'string' && id.startsWith(AFTER));
}

/**
 * The readable name of an action, or undefined when it says nothing a reader needs (delay
 * bookkeeping, anonymous functions). Built-ins show their kind without the `xstate.` prefix.
 */
export function actionLabel(action: unknown): string | undefined {
  if (typeof action === 'string') return action;
  if (isTagged(action)) {
    const type = action['type'];
    if (typeof type === 'string') return isDelayBookkeeping(action) ? undefined : type.replace(/^xstate\./, '');
    return action.name !== '' && action.name !== 'actions' ? action.name : undefined;
  }
  if (isRecord(action) && typeof action['type'] === 'string') return action['type'] + paramsSuffix(action['params']);
  return undefined;
}

/** Named actions of a list, dropping the uninformative ones. */
export function actionLabels(actions: readonly unknown[] | undefined): string[] {
  return (actions ?? []).flatMap((action) => actionLabel(action) ?? []);
}
