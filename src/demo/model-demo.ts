import { createActor } from 'xstate';
import {
  connectionStateOf,
  progressMachine,
  sessionMachine,
  sessionStateOf,
  waiterMachine,
  type SessionEvent,
  type SyncProgress,
} from '../../machines/index.js';

/** A text progress bar: `[#####-----]  50%  500/1000 B`. */
export function progressBar(p: SyncProgress, width = 20): string {
  const filled = Math.round(p.progressEstimate * width);
  const percent = String(Math.round(p.progressEstimate * 100)).padStart(3);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}%  ${p.transferredBytes}/${p.transferableBytes} B`;
}

/**
 * The story the demo tells, as the runtime will tell it to the chart: open, connect, write,
 * wait, pause with writes pending, resume, upload, close and upload the rest while dying.
 */
export const demoStory: ReadonlyArray<{ readonly say?: string; readonly event: SessionEvent }> = [
  { say: 'the store is opened: the session starts', event: { type: 'store.opened', tokenExpired: false } },
  { event: { type: 'notifier.add', id: 'up', direction: 'upload', mode: 'reportIndefinitely' } },
  { event: { type: 'connection.connecting' } },
  { event: { type: 'connection.open' } },
  { event: { type: 'server.ident' } },
  { say: 'two local writes of 400 B', event: { type: 'progress', direction: 'upload', transferred: 0, transferable: 800 } },
  { say: 'waitForUpload() and waitForDownload()', event: { type: 'wait', id: 'upload-1', direction: 'upload' } },
  { event: { type: 'wait', id: 'download-1', direction: 'download' } },
  { event: { type: 'progress', direction: 'upload', transferred: 400, transferable: 800 } },
  { say: 'pause(): sticky, disconnects, waits stay pending', event: { type: 'pause' } },
  { say: 'a write while paused', event: { type: 'progress', direction: 'upload', transferred: 400, transferable: 1_200 } },
  { event: { type: 'store.opened', tokenExpired: false } },
  { say: 'resume()', event: { type: 'resume', tokenExpired: false } },
  { event: { type: 'connection.open' } },
  { event: { type: 'server.ident' } },
  { event: { type: 'progress', direction: 'upload', transferred: 1_200, transferable: 1_200 } },
  { say: 'the server answers the MARK', event: { type: 'mark.reply', requestId: 'download-1' } },
  { say: 'one more write, then the store is closed', event: { type: 'progress', direction: 'upload', transferred: 1_200, transferable: 1_500 } },
  { event: { type: 'store.closed' } },
  { say: 'the last changes are acknowledged', event: { type: 'progress', direction: 'upload', transferred: 1_500, transferable: 1_500 } },
];

/**
 * Runs `demoStory` on the session chart and prints what a user of the runtime would see:
 * state and connection changes, progress bars, the effects the runtime would perform, and
 * waits resolving. Returns the final `session.state`.
 */
export function runModelDemo(print: (line: string) => void = console.log): string {
  const machine = sessionMachine.provide({
    actions: {
      joinConnection: () => print('    effect: join the shared connection'),
      leaveConnection: () => print('    effect: leave the shared connection (UNBIND)'),
      bind: () => print('    effect: send BIND + IDENT'),
    },
    actors: {
      waiter: waiterMachine.provide({
        actions: {
          sendMark: (_, { id }) => print(`    effect: send MARK ${id}`),
          settle: (_, p) => print(`    wait ${p.id}: ${p.outcome}`),
        },
      }),
      progress: progressMachine.provide({
        actions: {
          report: (_, { direction, progress }) => print(`    ${direction.padEnd(8)} ${progressBar(progress)}`),
          finish: (_, { id }) => print(`    progress stream ${id} ended`),
        },
      }),
    },
  });
  const actor = createActor(machine, { input: { stopPolicy: 'afterChangesUploaded' } });
  let shown = '';
  actor.subscribe((snapshot) => {
    const now = `${sessionStateOf(snapshot)} / ${connectionStateOf(snapshot)}`;
    if (now !== shown) print(`  state: ${now}`);
    shown = now;
  });
  actor.start();
  for (const { say, event } of demoStory) {
    if (say) print(`\n• ${say}`);
    print(`  → ${event.type}`);
    actor.send(event);
  }
  const final = sessionStateOf(actor.getSnapshot());
  actor.stop();
  return final;
}
