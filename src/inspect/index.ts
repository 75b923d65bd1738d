/**
 * The live inspector: `startInspectorRelay` (what `sync-session inspect` runs: the viewer page
 * and a WebSocket relay) and `createRelayInspector` (what `App({ inspect: true })` uses to send
 * its actors' inspection events there). Import from `sync-session/inspect`.
 */
export { startInspectorRelay, type InspectorRelay, type InspectorRelayOptions } from './relay-server.js';
export { createRelayInspector, DEFAULT_INSPECT_PORT, DEFAULT_INSPECT_URL, type RelayInspector } from './relay-inspector.js';
export { decodeFrame, MAX_FRAME_BYTES, type ActorFrame, type EventFrame, type InspectionFrame, type SnapshotFrame } from './inspection-frame.js';
export { RelayHub, type RelayHubLimits, type RelayVerdict } from './relay-hub.js';
