/**
 * Turns `@statelyai/inspect`'s inspection events into relay frames that survive JSON: actor
 * references become `{ id }`, functions and cycles drop out, and only the parts of a snapshot
 * an inspector draws (status, value, context, output, error) are kept. An actor frame's
 * snapshot is the live object, whose `machine` field alone would be most of the frame.
 */
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import type { Json } from '../protocol/json.codec.js';
import type { ActorFrame, InspectionFrame } from './inspection-frame.js';

/**
 * How deep a context or event is written before the rest is cut: with the frame's own two
 * levels, under the protocol's `MAX_JSON_DEPTH`, which the relay enforces.
 */
const MAX_DEPTH = 24;

const isActorRef = (value: object): value is { id: string; sessionId: string } =>
  typeof (value as { sessionId?: unknown }).sessionId === 'string' && typeof (value as { send?: unknown }).send === 'function';

/** A JSON copy of `value`; what JSON cannot hold becomes a short marker string. */
export function toJson(value: unknown, depth = 0, ancestors: Set<object> = new Set()): Json | undefined {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return undefined;
  if (isActorRef(value)) return { id: value.id };
  if (ancestors.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[deep]';
  if (value instanceof Error) return { name: value.name, message: value.message };
  // A value that says how JSON shows it (a Date, the connection chart's MemberSet) is shown so.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    // One level deeper, so a toJSON that answers with its own object ends at the depth limit.
    let shown: unknown;
    try {
      shown = toJSON.call(value);
    } catch {
      return '[toJSON failed]';
    }
    return toJson(shown, depth + 1, ancestors);
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => toJson(item, depth + 1, ancestors) ?? null);
    // No prototype: a `__proto__` key is then an ordinary key, copied like any other.
    const out = Object.create(null) as { [key: string]: Json };
    for (const [key, item] of Object.entries(value)) {
      const copy = toJson(item, depth + 1, ancestors);
      if (copy !== undefined) out[key] = copy;
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

interface SnapshotLike {
  readonly status?: unknown;
  readonly value?: unknown;
  readonly context?: unknown;
  readonly output?: unknown;
  readonly error?: unknown;
}

/** The drawn parts of a snapshot, as JSON. */
export function wireSnapshot(snapshot: unknown): ActorFrame['snapshot'] {
  const s = (typeof snapshot === 'object' && snapshot !== null ? snapshot : {}) as SnapshotLike;
  const out: { status: string; value?: unknown; context?: unknown; output?: unknown; error?: unknown } = {
    status: typeof s.status === 'string' ? s.status : 'active',
  };
  for (const key of ['value', 'context', 'output', 'error'] as const) {
    const copy = toJson(s[key]);
    if (copy !== undefined) out[key] = copy;
  }
  return out;
}

const eventOf = (event: unknown): { type: string } => {
  const copy = toJson(event);
  const type = typeof copy === 'object' && copy !== null && !Array.isArray(copy) ? (copy as { readonly type?: Json }).type : undefined;
  return typeof type === 'string' ? (copy as { type: string }) : { type: 'unknown' };
};

/** The relay frame of one inspection event. */
export function toWireFrame(event: StatelyInspectionEvent): InspectionFrame {
  // `_version` and `id` stay: the Stately inspector's receivers take only events that carry a
  // string `_version` (`isStatelyInspectionEvent` in @statelyai/inspect).
  const base = { sessionId: event.sessionId, rootId: event.rootId, createdAt: event.createdAt, _version: event._version, id: event.id ?? null };
  switch (event.type) {
    case '@xstate.actor':
      return {
        ...base,
        type: '@xstate.actor',
        name: event.name,
        parentId: event.parentId,
        definition: event.definition,
        snapshot: wireSnapshot(event.snapshot),
      };
    case '@xstate.snapshot':
      return { ...base, type: '@xstate.snapshot', event: eventOf(event.event), snapshot: wireSnapshot(event.snapshot) };
    case '@xstate.event':
      return { ...base, type: '@xstate.event', event: eventOf(event.event), sourceId: event.sourceId };
  }
}
