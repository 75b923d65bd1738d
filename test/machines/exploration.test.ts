import { describe, expect, it } from 'vitest';
import type { EventObject, SnapshotFrom } from 'xstate';
import {
  connectionEvents,
  connectionInputs,
  connectionMachine,
  connectionStateOf,
  holdsProcess,
  maxJitterShare,
  MIN_RETRY_DELAY_MS,
  notifierChildId,
  progressEvents,
  progressInputs,
  progressMachine,
  sessionEvents,
  sessionInputs,
  sessionMachine,
  sessionStateOf,
  waiterChildId,
  waiterEvents,
  waiterInputs,
  waiterMachine,
} from '../../machines/index.js';
import { walkAll, type Walk } from './walk.js';

const replay = (path: readonly EventObject[]): string => path.map((e) => JSON.stringify(e)).join('\n  ');

/** Fails with the path that reached a state breaking `rule`. */
function invariant(holds: boolean, rule: string, path: readonly EventObject[]): void {
  if (!holds) throw new Error(`invariant broken: ${rule}\nreached by:\n  ${replay(path)}`);
}

function expectEveryTransitionTaken(walk: Walk): void {
  console.log(walk.summary);
  for (const t of walk.declared) console.log(`  ${walk.untaken.includes(t) ? 'NOT TAKEN' : 'taken'}  ${t.key}${t.guard ? ` [${t.guard}]` : ''}`);
  expect(walk.untaken.map((t) => t.key)).toEqual([]);
}

describe('exhaustive exploration', () => {
  it('session: every reachable state keeps §1–§2 invariants and every transition is taken', () => {
    const walk = walkAll('session', sessionMachine, sessionInputs, sessionEvents, {
      check: (snapshot, path) => {
        const state = sessionStateOf(snapshot);
        const connection = connectionStateOf(snapshot);
        invariant(
          state === 'active' || state === 'dying' || connection === 'disconnected',
          `connection is disconnected in ${state} (was ${connection})`,
          path,
        );
        invariant(
          !snapshot.matches({ lifecycle: { syncing: { active: 'resetting' } } }) || connection === 'disconnected',
          'a session resetting its file is off the connection',
          path,
        );
        invariant(
          !snapshot.matches({ lifecycle: { syncing: { active: 'running' } } }) || !snapshot.context.resetEndDue,
          'a reset whose end is due waits for the fresh state, not in running',
          path,
        );
        invariant(
          state !== 'dying' || !snapshot.context.storeOpen,
          'a dying session has no open store',
          path,
        );
        const expected = [
          ...Object.keys(snapshot.context.waiters).map(waiterChildId),
          ...Object.keys(snapshot.context.notifiers).map(notifierChildId),
          ...(snapshot.matches({ lifecycle: { waitingForAccessToken: 'refreshing' } }) ? ['refreshAccessToken'] : []),
          ...(snapshot.matches({ lifecycle: { syncing: { active: 'resetting' } } }) ? ['clientReset'] : []),
          ...(snapshot.matches({ lifecycle: { syncing: { active: 'finishingReset' } } }) ? ['clientResetAfter'] : []),
          ...(snapshot.matches({ connection: { connected: 'uploading' } }) ? ['upload'] : []),
        ].sort();
        invariant(
          JSON.stringify(Object.keys(snapshot.children).sort()) === JSON.stringify(expected),
          `children ${Object.keys(snapshot.children)} are exactly the registered waits, notifiers and invoked effects ${expected}`,
          path,
        );
      },
    });
    expectEveryTransitionTaken(walk);
    expect(walk.states).toBeGreaterThan(100);
    // ~30,000 states over 12 inputs: minutes on a loaded 2-core machine, not the suite's default 3.
  }, 600_000);

  it('connection: sessions, backoff bounds and linger hold in every reachable state', () => {
    type Snap = SnapshotFrom<typeof connectionMachine>;
    const walk = walkAll('connection', connectionMachine, connectionInputs, connectionEvents, {
      // The jitter's random state and the delays drawn from it are not part of the state.
      key: (s: Snap) => JSON.stringify({ value: s.value, sessions: s.context.sessions, base: s.context.baseDelayMs, node: s.context.node }),
      check: (s: Snap, path) => {
        const { baseDelayMs, backoffMs, reconnect } = s.context;
        const sessions = s.context.sessions.ids();
        invariant(!s.matches('idle') || sessions.length === 0, 'idle has no sessions', path);
        invariant(!s.matches({ online: 'lingering' }) || sessions.length === 0, 'lingering has no sessions', path);
        invariant(
          !(s.matches({ online: 'connecting' }) || s.matches({ online: 'connected' }) || s.matches('backingOff')) ||
            sessions.length > 0,
          'a connection in use has sessions',
          path,
        );
        // The node in use is one of the list (docs/SEMANTICS.md §2.8).
        invariant(Number.isInteger(s.context.node) && s.context.node >= 0 && s.context.node < s.context.urls.length, `node ${s.context.node} of ${s.context.urls.length}`, path);
        invariant(new Set(sessions).size === sessions.length && sessions.length === s.context.sessions.size, 'a session is attached once', path);
        // The process stays for the connection exactly while a session is on it (docs/SEMANTICS.md §2.7).
        invariant(holdsProcess(s) === sessions.length > 0, 'the connection holds the process exactly while a session is attached', path);
        invariant(
          baseDelayMs >= reconnect.initialDelayMs && baseDelayMs <= reconnect.maxDelayMs,
          `base ${baseDelayMs} within [initial, cap]`,
          path,
        );
        // A server's named wait is followed only back to the node that named it (a list of one).
        const named = s.context.urls.length === 1 && path.at(-1)?.type === 'socket.closed' && 'backoffMs' in path.at(-1)!;
        invariant(
          !s.matches('backingOff') || named || (backoffMs <= reconnect.maxDelayMs && backoffMs >= (1 - maxJitterShare) * reconnect.initialDelayMs),
          `backoff ${backoffMs} within jitter of [initial, cap]`,
          path,
        );
        invariant(!s.matches('backingOff') || backoffMs >= MIN_RETRY_DELAY_MS, `backoff ${backoffMs} at least ${MIN_RETRY_DELAY_MS} ms`, path);
      },
    });
    expectEveryTransitionTaken(walk);
  });

  it('progress: every report in every reachable state is bounded', () => {
    const walk = walkAll('progress', progressMachine, progressInputs, progressEvents, {
      check: (s, path) => {
        const last = s.context.last;
        invariant(last !== undefined, 'a notifier reports at registration', path);
        if (last === undefined) return;
        invariant(last.transferredBytes <= last.transferableBytes, 'transferred ≤ transferable', path);
        invariant(last.progressEstimate >= 0 && last.progressEstimate <= 1, 'estimate in [0, 1]', path);
      },
    });
    expectEveryTransitionTaken(walk);
  });

  it('waiter: every reachable state is pending or settled for good', () => {
    const walk = walkAll('waiter', waiterMachine, waiterInputs, waiterEvents, {
      check: (s, path) => {
        const settled = (['done', 'aborted', 'failed', 'closed'] as const).some((state) => s.matches(state));
        invariant(settled === (s.status === 'done'), 'a settled waiter is finished and only then', path);
      },
    });
    expectEveryTransitionTaken(walk);
  });
});
