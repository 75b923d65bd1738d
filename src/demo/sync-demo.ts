import type { Realm } from '../client/realm.js';
import type { SyncSession } from '../client/sync-session.js';
import { holdDemo } from './demo-hold.js';
import { startDemo, type DemoSetupOptions } from './demo-setup.js';
import { progressBar } from './model-demo.js';

/** What the demo prints to; tests collect it. */
export type Print = (line: string) => void;

/** Options of the demo. */
export interface SyncDemoOptions extends DemoSetupOptions {
  readonly print?: Print;
  /** Writes each client makes while paused. */
  readonly pausedWrites?: number;
  /**
   * Keep the demo running after its story (a small write every few seconds, a pause now and
   * then) until the signal aborts; the CLI's `--hold` passes one that Ctrl-C aborts.
   */
  readonly hold?: AbortSignal;
}

/** What the demo ended with. */
export interface SyncDemoResult {
  readonly replicasEqual: boolean;
  readonly documents: number;
}

/** Lets reports queued by the last message (progress, connection changes) print. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One step of the story: its heading, then what it does, then its outcome, printed once the
 * step's own events have come and printed (the outcome is what `run` awaited), so no event of
 * a step prints under the next step's heading.
 */
async function step(print: Print, heading: string, run: () => Promise<string>): Promise<void> {
  print(`\n• ${heading}`);
  const outcome = await run();
  await settled();
  print(`  ${outcome}`);
}

/** The waits of a step; 10 s is far more than a step on 127.0.0.1 takes. */
const soon = () => AbortSignal.timeout(10_000);

function watch(name: string, session: SyncSession, print: Print): void {
  session.connectionStateChanges.subscribe(({ previous, current }) => print(`  ${name}: connection ${previous} → ${current}   (session ${session.state})`));
  for (const direction of ['upload', 'download'] as const) {
    session.getProgressStream(direction, 'reportIndefinitely').subscribe((p) => {
      if (p.transferableBytes > 0) print(`  ${name}: ${direction.padEnd(8)} ${progressBar(p)}`);
    });
  }
}

/**
 * Where the inspector is. Without --hold the page's sessions end with the demo, a few seconds
 * later: the line says so, and names --hold both as run in this repository and installed.
 */
function inspectorLine(url: string, holding: boolean): string {
  if (holding) return `inspector: open ${url} to watch the sessions live (until Ctrl-C)`;
  return `inspector: ${url} shows the sessions live only while the demo runs (a few seconds); --hold keeps it open: npm start -- --hold, or installed, npx sync-session demo --hold`;
}

/**
 * The main job: an embedded server and two clients on one partition, showing what a user came
 * for — state and connection changes as they happen, progress, a pause with writes while paused,
 * a resume, both waits resolving, and both replicas equal at the end — while the inspector's
 * viewer shows the same sessions' charts live.
 */
export async function runSyncDemo(options: SyncDemoOptions = {}): Promise<SyncDemoResult> {
  const print = options.print ?? console.log;
  const demo = await startDemo(options);
  try {
    print(`server listening at ${demo.server.url.replace('http', 'ws')}/sync, data in ${demo.dir}`);
    if (demo.relay !== undefined) print(inspectorLine(demo.relay.url, options.hold !== undefined));
    const [alice, bob] = demo.clients.map((client) => client.session) as [SyncSession, SyncSession];
    const [aliceRealm, bobRealm] = demo.clients.map((client) => client.realm) as [Realm, Realm];
    print(`\nalice: ${alice}\nbob:   ${bob}`);
    watch('alice', alice, print);
    watch('bob', bob, print);

    await step(print, 'alice writes 3 tasks, bob 2; both wait for upload, then for download', async () => {
      aliceRealm.write((tx) => ['a1', 'a2', 'a3'].forEach((id) => tx.put('Task', id, { title: `task ${id}`, done: false })));
      bobRealm.write((tx) => ['b1', 'b2'].forEach((id) => tx.put('Task', id, { title: `task ${id}`, done: false })));
      await Promise.all([alice.waitForUpload(soon()), bob.waitForUpload(soon())]);
      await Promise.all([alice.waitForDownload(soon()), bob.waitForDownload(soon())]);
      return 'both uploads acknowledged, and each has the other\'s tasks';
    });

    await step(print, 'alice pauses and writes while paused; bob marks a1 done and waits for upload', async () => {
      alice.pause();
      print(`  alice: ${alice.state} / ${alice.connectionState}`);
      const writes = options.pausedWrites ?? 3;
      for (let i = 0; i < writes; i++) aliceRealm.write((tx) => tx.put('Task', `offline-${i}`, { title: `written while paused ${i}`, done: i % 2 === 0 }));
      bobRealm.write((tx) => tx.put('Task', 'a1', { done: true }));
      await bob.waitForUpload(soon());
      return `bob's change acknowledged; alice, ${alice.state}, has ${aliceRealm.objects('Task').length} tasks and not bob's change yet`;
    });

    await step(print, 'alice resumes; both wait for upload and download', async () => {
      alice.resume();
      await Promise.all([alice.waitForUpload(soon()), bob.waitForUpload(soon())]);
      await Promise.all([alice.waitForDownload(soon()), bob.waitForDownload(soon())]);
      return 'both waits resolved';
    });

    const [a, b] = [aliceRealm, bobRealm].map((realm) => JSON.stringify(realm.objects('Task')));
    const documents = aliceRealm.objects('Task').length;
    print(`\nalice has ${documents} tasks, bob has ${bobRealm.objects('Task').length}: replicas ${a === b ? 'equal' : 'DIFFER'}`);
    if (options.hold !== undefined) await holdDemo(demo, options.hold, print);
    await step(print, 'both close their realms', async () => {
      for (const client of demo.clients) client.realm.close();
      return `after close: alice ${alice.state}, bob ${bob.state}`;
    });
    return { replicasEqual: a === b, documents };
  } finally {
    await demo.close();
  }
}
