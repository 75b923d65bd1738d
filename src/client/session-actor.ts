/**
 * The session chart with the runtime's effects provided, built once for every session.
 *
 * `machine.provide()` builds a new machine (its whole state-node tree, transitions resolved
 * and formatted); doing it per session cost most of a session's heap and of its creation time
 * when thousands share one socket. The provided effects are therefore session-independent: each
 * finds its session through the actor system it runs in (a session actor and the waiters,
 * notifiers and promises it spawns share one system, and no two sessions do).
 */
import { createActor, fromCallback, fromPromise, type Actor, type ActorSystem } from 'xstate';
import { progressMachine } from '../../machines/progress.machine.js';
import { sessionMachine } from '../../machines/session.machine.js';
import type { ReportErrorParams, SessionEvent, SessionInput } from '../../machines/session.types.js';
import type { SyncProgress } from '../../machines/types.js';
import { waiterMachine, type SettleParams } from '../../machines/waiter.machine.js';
import type { InspectObserver } from './app-config.js';
import type { ActorClock } from './held-clock.js';

/** Any actor system (xstate does not export its own alias for this). */
type AnyActorSystem = ActorSystem<any>;

/** What the chart's effects do for one session. */
export interface SessionEffects {
  joinConnection(): void;
  leaveConnection(): void;
  bind(): void;
  /** Skip the shared connection's reconnect delay. */
  reconnect(): void;
  reportError(params: ReportErrorParams): void;
  /** Each effect that is a promise gets the actor's signal: aborted once the chart stopped it. */
  refreshAccessToken(signal: AbortSignal): Promise<string>;
  runClientReset(signal: AbortSignal): Promise<void>;
  /** The server's fresh state is in after a client reset: `onAfter`. */
  finishClientReset(signal: AbortSignal): Promise<void>;
  /** Starts the uploads of `connection.connected.uploading`; returns what stops them. */
  startUploads(sendBack: (event: SessionEvent) => void): () => void;
  /** A download wait wants a MARK sent for request `id`. */
  sendMark(id: string): void;
  /** Wait `settled.id` is over. */
  settle(settled: SettleParams): void;
  /** Notifier `id` reports `progress`. */
  report(id: string, progress: SyncProgress): void;
  /** Notifier `id` is done. */
  finish(id: string): void;
}

const effectsBySystem = new WeakMap<AnyActorSystem, SessionEffects>();

function effectsOf(system: AnyActorSystem): SessionEffects {
  const effects = effectsBySystem.get(system);
  // Only actors made by createSessionActor run this machine, and they register first.
  if (effects === undefined) throw new Error('internal error: a session actor without its session');
  return effects;
}

/** The session chart as the runtime runs it. */
export const runtimeSessionMachine = sessionMachine.provide({
  actions: {
    joinConnection: ({ system }) => effectsOf(system).joinConnection(),
    leaveConnection: ({ system }) => effectsOf(system).leaveConnection(),
    bind: ({ system }) => effectsOf(system).bind(),
    reconnect: ({ system }) => effectsOf(system).reconnect(),
    reportError: ({ system }, params) => effectsOf(system).reportError(params),
  },
  actors: {
    refreshAccessToken: fromPromise(({ system, signal }) => effectsOf(system).refreshAccessToken(signal)),
    clientReset: fromPromise<void>(({ system, signal }) => effectsOf(system).runClientReset(signal)),
    clientResetAfter: fromPromise<void>(({ system, signal }) => effectsOf(system).finishClientReset(signal)),
    upload: fromCallback<SessionEvent>(({ system, sendBack }) => effectsOf(system).startUploads(sendBack)),
    waiter: waiterMachine.provide({
      actions: {
        sendMark: ({ system }, { id }) => effectsOf(system).sendMark(id),
        settle: ({ system }, settled) => effectsOf(system).settle(settled),
      },
    }),
    progress: progressMachine.provide({
      actions: {
        report: ({ system }, { id, progress }) => effectsOf(system).report(id, progress),
        finish: ({ system }, { id }) => effectsOf(system).finish(id),
      },
    }),
  },
});

/** A (not yet started) session actor whose effects are `effects`, its timers on `clock` (XState's default: Node's). */
export function createSessionActor(
  effects: SessionEffects,
  input: SessionInput,
  inspect: InspectObserver | undefined,
  clock?: ActorClock,
): Actor<typeof runtimeSessionMachine> {
  const actor = createActor(runtimeSessionMachine, { input, ...(inspect === undefined ? {} : { inspect }), ...(clock === undefined ? {} : { clock }) });
  effectsBySystem.set(actor.system, effects);
  return actor;
}
