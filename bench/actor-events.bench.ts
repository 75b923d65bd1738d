/**
 * Benchmark 5: events per second through one session actor as the runtime runs it (a synced
 * realm's session, active and connected to a real server, with the runtime's provided actions,
 * its snapshot subscribers and the SyncManager's observer), against a bare XState actor of the
 * same chart (`createActor(sessionMachine)`, default effects) driven to the same state.
 *
 * The event is `progress` (download direction, counts growing, as each DOWNLOAD makes the
 * runtime send): every one is a real transition (assign + forward to notifiers) in both. The
 * runtime's actor is private, so events go through its private `send` — the exact path every
 * API call and socket message takes after its own work. Target: runtime ≥ 85 % of bare.
 */
import { createActor } from 'xstate';
import { sessionMachine, sessionStateOf, connectionStateOf, type SessionEvent } from '../machines/index.js';
import { measure, now, scaled, RUNS, SCALE, type Benchmark, type BenchReport } from './harness.js';
import { newClient } from './client.js';
import { spawnServer } from './server-child.js';

const EVENTS = scaled(200_000, 10_000);

function drive(send: (event: SessionEvent) => void, base: number): number {
  const start = now();
  for (let i = 1; i <= EVENTS; i++) {
    const n = base + i;
    send({ type: 'progress', direction: 'download', transferred: n, transferable: n });
  }
  const seconds = (now() - start) / 1000;
  return EVENTS / seconds;
}

export const actorEvents: Benchmark = {
  name: 'actor-events',
  title: `${EVENTS} progress events through one session actor: runtime vs bare XState actor`,
  async run(): Promise<BenchReport> {
    const server = await spawnServer();
    const client = await newClient(server.url, 'actor-events');
    try {
      const realm = await client.open('actor-events');
      const session = realm.syncSession!;
      const runtimeSend = (session as unknown as { send(event: SessionEvent): void }).send.bind(session);

      const bare = createActor(sessionMachine, { input: {} }).start();
      for (const event of [
        { type: 'store.opened', tokenExpired: false },
        { type: 'connection.connecting' },
        { type: 'connection.open' },
        { type: 'server.ident' },
      ] as SessionEvent[]) bare.send(event);
      const bareSnapshot = bare.getSnapshot();
      if (sessionStateOf(bareSnapshot) !== session.state || connectionStateOf(bareSnapshot) !== session.connectionState) {
        throw new Error(`bare actor in ${sessionStateOf(bareSnapshot)}/${connectionStateOf(bareSnapshot)}, runtime in ${session.state}/${session.connectionState}`);
      }
      let base = 1e9; // above anything the real session has seen, so counts only grow
      const subjects = await measure({
        runtimeSession: async () => {
          const rate = drive(runtimeSend, base);
          base += EVENTS;
          return { eventsPerSecond: rate };
        },
        bareActor: async () => ({ eventsPerSecond: drive((e) => bare.send(e), base) }),
      });
      bare.stop();
      realm.close();
      const value = subjects.runtimeSession!.metrics.eventsPerSecond!;
      const baseline = subjects.bareActor!.metrics.eventsPerSecond!;
      const ratio = value.median / baseline.median;
      return {
        benchmark: 'actor-events',
        title: this.title,
        scale: SCALE,
        runs: RUNS,
        sizes: { events: EVENTS, state: `${session.state}/${session.connectionState}` },
        subjects,
        rows: [{ metric: 'throughput', unit: 'events/s', value, baselineName: 'bare XState actor', baseline, ratio, target: '≥ 0.85×', met: ratio >= 0.85 }],
      };
    } finally {
      client.close();
      await server.close();
    }
  },
};
