import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../client/app.js';
import { Credentials } from '../client/credentials.js';
import { Realm } from '../client/realm.js';
import type { SyncSession } from '../client/sync-session.js';
import { startServer } from '../server/start-server.js';
import { progressBar } from './model-demo.js';

/** What the demo prints to; tests collect it. */
export type Print = (line: string) => void;

/** Options of the demo: where its data goes (a fresh temporary folder by default). */
export interface SyncDemoOptions {
  readonly dataDir?: string;
  readonly print?: Print;
  /** Writes each client makes while paused. */
  readonly pausedWrites?: number;
}

/** What the demo ended with. */
export interface SyncDemoResult {
  readonly replicasEqual: boolean;
  readonly documents: number;
}

/** Lets reports queued by the last step print before the next heading. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

function watch(name: string, session: SyncSession, print: Print): void {
  session.connectionStateChanges.subscribe(({ previous, current }) => print(`  ${name}: connection ${previous} → ${current}   (session ${session.state})`));
  for (const direction of ['upload', 'download'] as const) {
    session.getProgressStream(direction, 'reportIndefinitely').subscribe((p) => {
      if (p.transferableBytes > 0) print(`  ${name}: ${direction.padEnd(8)} ${progressBar(p)}`);
    });
  }
}

/**
 * The main job: an embedded server and two clients on one partition, showing what a user came
 * for — state and connection changes as they happen, progress, a pause with writes while paused,
 * a resume, both waits resolving, and both replicas equal at the end.
 */
export async function runSyncDemo(options: SyncDemoOptions = {}): Promise<SyncDemoResult> {
  const print = options.print ?? console.log;
  const ownDir = options.dataDir === undefined;
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sync-session-demo-'));
  const server = await startServer({ dataDir: join(dir, 'server') });
  print(`server listening at ${server.url.replace('http', 'ws')}/sync, data in ${dir}`);
  const apps = ['alice', 'bob'].map((name) => new App({ baseUrl: server.url, storageDir: join(dir, name), lingerMs: 200 }));
  try {
    const users = await Promise.all(apps.map((app) => app.logIn(Credentials.anonymous())));
    const realms = await Promise.all(users.map((user) => Realm.open({ sync: { user, partition: 'team-1' } })));
    const [alice, bob] = realms.map((realm) => realm.syncSession!) as [SyncSession, SyncSession];
    print(`\nalice: ${alice}\nbob:   ${bob}`);
    watch('alice', alice, print);
    watch('bob', bob, print);

    print('\n• alice writes 3 tasks, bob 2; both wait for upload');
    realms[0]!.write((tx) => ['a1', 'a2', 'a3'].forEach((id) => tx.put('Task', id, { title: `task ${id}`, done: false })));
    realms[1]!.write((tx) => ['b1', 'b2'].forEach((id) => tx.put('Task', id, { title: `task ${id}`, done: false })));
    await Promise.all([alice.waitForUpload(AbortSignal.timeout(10_000)), bob.waitForUpload(AbortSignal.timeout(10_000))]);
    print('  both uploads acknowledged');

    print('\n• alice pauses and writes while paused');
    alice.pause();
    print(`  alice: ${alice.state} / ${alice.connectionState}`);
    const writes = options.pausedWrites ?? 3;
    for (let i = 0; i < writes; i++) realms[0]!.write((tx) => tx.put('Task', `offline-${i}`, { title: `written while paused ${i}`, done: i % 2 === 0 }));
    realms[1]!.write((tx) => tx.put('Task', 'a1', { done: true }));
    await settled();

    print('\n• alice resumes; both wait for upload and download');
    alice.resume();
    await Promise.all([alice.waitForUpload(AbortSignal.timeout(10_000)), bob.waitForUpload(AbortSignal.timeout(10_000))]);
    await Promise.all([alice.waitForDownload(AbortSignal.timeout(10_000)), bob.waitForDownload(AbortSignal.timeout(10_000))]);
    print('  both waits resolved');

    const [a, b] = realms.map((realm) => JSON.stringify(realm.objects('Task')));
    const documents = realms[0]!.objects('Task').length;
    print(`\nalice has ${documents} tasks, bob has ${realms[1]!.objects('Task').length}: replicas ${a === b ? 'equal' : 'DIFFER'}`);
    for (const realm of realms) realm.close();
    print(`after close: alice ${alice.state}, bob ${bob.state}`);
    return { replicasEqual: a === b, documents };
  } finally {
    for (const app of apps) app.close();
    await server.close();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  }
}
