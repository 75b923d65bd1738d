import type { AnyMachineSnapshot } from 'xstate';
import type { ConnectionState, SessionState } from './types.js';

const lifecycleStates: readonly SessionState[] = ['inactive', 'waitingForAccessToken', 'paused'];

/**
 * `session.state` of a session snapshot. `active` and `dying` are the children of `syncing`;
 * the other three are the lifecycle region's own states.
 */
export function sessionStateOf(snapshot: AnyMachineSnapshot): SessionState {
  if (snapshot.matches({ lifecycle: { syncing: 'dying' } })) return 'dying';
  if (snapshot.matches({ lifecycle: 'syncing' })) return 'active';
  const found = lifecycleStates.find((state) => snapshot.matches({ lifecycle: state }));
  if (found === undefined) throw new Error(`not a session snapshot: ${JSON.stringify(snapshot.value)}`);
  return found;
}

/** `session.connectionState` of a session snapshot. */
export function connectionStateOf(snapshot: AnyMachineSnapshot): ConnectionState {
  if (snapshot.matches({ connection: 'connected' })) return 'connected';
  if (snapshot.matches({ connection: 'connecting' })) return 'connecting';
  return 'disconnected';
}

/** `session.isActive`: true in `active` and `dying`. */
export function isActiveState(snapshot: AnyMachineSnapshot): boolean {
  return snapshot.matches({ lifecycle: 'syncing' });
}
