/**
 * The frames that cross the inspector relay: `@statelyai/inspect`'s serialized inspection
 * events (the Stately inspector reads the same frames), checked with io-ts at the relay so a
 * malformed frame is dropped there and never reaches a viewer.
 */
import { isRight } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { JsonCodec } from '../protocol/json.codec.js';

/** The biggest frame the relay reads; a session's actor frame is about 7 KB, a step under 1 KB. */
export const MAX_FRAME_BYTES = 1024 * 1024;

const eventObject = t.type({ type: t.string });
/** What every frame may carry besides its own fields: the sender's package version and event id. */
const stamp = t.partial({ _version: t.string, id: t.union([t.string, t.null]) });
const snapshotObject = t.intersection([
  t.type({ status: t.string }),
  t.partial({ value: t.unknown, context: t.unknown }),
]);

const actorFrame = t.intersection([
  stamp,
  t.type({ type: t.literal('@xstate.actor'), sessionId: t.string, snapshot: snapshotObject }),
  t.partial({ name: t.string, parentId: t.union([t.string, t.undefined]), rootId: t.union([t.string, t.undefined]), createdAt: t.string, definition: t.union([t.string, t.undefined]) }),
]);
const snapshotFrame = t.intersection([
  stamp,
  t.type({ type: t.literal('@xstate.snapshot'), sessionId: t.string, snapshot: snapshotObject, event: eventObject }),
  t.partial({ rootId: t.union([t.string, t.undefined]), createdAt: t.string }),
]);
const eventFrame = t.intersection([
  stamp,
  t.type({ type: t.literal('@xstate.event'), sessionId: t.string, event: eventObject }),
  t.partial({ sourceId: t.union([t.string, t.undefined]), rootId: t.union([t.string, t.undefined]), createdAt: t.string }),
]);

/** An actor came to life (or is announced again after the relay link came back). */
export type ActorFrame = t.TypeOf<typeof actorFrame>;
/** An actor took a step: its snapshot after `event`. */
export type SnapshotFrame = t.TypeOf<typeof snapshotFrame>;
/** An event was sent to an actor. */
export type EventFrame = t.TypeOf<typeof eventFrame>;
/** Any frame the relay passes on. */
export type InspectionFrame = ActorFrame | SnapshotFrame | EventFrame;

const frameCodec = t.union([actorFrame, snapshotFrame, eventFrame]);

/**
 * Reads one frame, or `undefined` when it is not one: not text, too big, not JSON, nested too
 * deep, or not one of the three frame shapes. Never throws.
 */
export function decodeFrame(data: unknown): InspectionFrame | undefined {
  if (typeof data !== 'string' || data.length > MAX_FRAME_BYTES) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  // The protocol's own depth limit (32): apps cut contexts at 24 levels (`wire-frame.ts`), and
  // a frame nested far deeper would overflow the stack when written out again.
  if (!JsonCodec.is(parsed)) return undefined;
  const decoded = frameCodec.decode(parsed);
  return isRight(decoded) ? decoded.right : undefined;
}
