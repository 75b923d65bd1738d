/**
 * A client reset killed for real, end to end: a child process runs an app whose session, on a
 * real server, resets a file holding 1,000 unsynced changes in recover mode, and is SIGKILLed
 * at a random instant between `onBefore` and the last acknowledgement (the file rewrite, the
 * rebind, `onAfter`, the upload of the recovered changes). The app then starts again on the
 * same storage: the server must end with every unsynced change exactly once (as one changeset,
 * never two), and the reopened realm must hold each. `CRASH_SEED=…` replays the delays.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seededUniform } from '../support/seeded-random.js';
import { App, Credentials, Realm } from '../../src/index.js';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { silentLogger } from '../../src/store/logger.js';
import { uploadAcrossResets } from '../support/upload-across-resets.js';
import { is, logIn, WireClient } from '../support/wire-client.js';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const PENDING = 1_000;
const KILLS = 10;
const EMAIL = 'ann@example.com';

let root: string;
let server: SyncServer;
const children = new Set<ChildProcess>();
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'reset-crash-e2e-'));
  server = await startServer({ dataDir: join(root, 'server'), users: [{ email: EMAIL, password: 'pw' }] });
});
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  readonly lines: string[];
  /** Milliseconds from `resetting` to the kill; `undefined` if the child ended on its own. */
  readonly killedAfterMs: number | undefined;
  readonly stderr: string;
}

/**
 * Runs the client child on a fresh partition: once it has written, the partition is reset and
 * the child resumes; `delayMs` after it printed `resetting` it is SIGKILLed (never, for
 * `undefined`: it runs until `uploaded`).
 */
function runClient(storageDir: string, partition: string, delayMs: number | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/e2e/fixtures/reset-client.ts', server.url, storageDir, partition, EMAIL, String(PENDING)],
      { cwd: projectRoot, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    children.add(child);
    const lines: string[] = [];
    let partial = '';
    let stderr = '';
    let resettingAt: number | undefined;
    let killedAfterMs: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (resettingAt !== undefined) killedAfterMs = performance.now() - resettingAt;
      child.kill('SIGKILL');
    };
    const deadline = setTimeout(kill, 60_000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (line === 'written') {
          void server.resetPartition(partition).then(() => child.stdin!.write('resume\n'));
        } else if (line === 'resetting') {
          resettingAt = performance.now();
          if (delayMs !== undefined) timer = setTimeout(kill, delayMs);
        } else if (line.startsWith('uploaded') && delayMs === undefined) kill();
      }
    });
    child.stdin!.on('error', () => {}); // the child may be gone before it reads
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(deadline);
      clearTimeout(timer);
      children.delete(child);
      resolve({ lines, killedAfterMs, stderr });
    });
  });
}

/** How many changesets of the partition's history put `Todo/t<i>`, for each i: read as a new client would. */
async function serverCounts(partition: string): Promise<Map<number, number>> {
  const { accessToken } = await logIn(server.url);
  const wire = await WireClient.connect(server.url);
  try {
    wire.send({ type: 'bind', session: 1, partition, token: accessToken });
    wire.send({ type: 'ident', session: 1, fileIdent: 'ffffffffffffffff' });
    const counts = new Map<number, number>();
    // Bounded: each DOWNLOAD moves the cursor on, and the history is finite.
    for (let batch = 0; batch < 10_000; batch++) {
      const download = await wire.next(is('download', 1), 20_000);
      for (const changeset of download.changesets) {
        for (const op of changeset.ops) {
          if (op.op === 'put' && op.type === 'Todo') counts.set(op.fields.i as number, (counts.get(op.fields.i as number) ?? 0) + 1);
        }
      }
      if (download.downloadableBytes === 0) break;
    }
    return counts;
  } finally {
    wire.close();
  }
}

const seed = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
const uniform = seededUniform(seed);

describe('a recover-mode client reset of a real app, SIGKILLed at random instants', () => {
  it(`the restarted app gets every unsynced change to the server exactly once (${KILLS} kills, ${PENDING} unsynced changes)`, async () => {
    // One run to its end: how long from `onBefore` to the last acknowledgement takes here.
    const whole = await runClient(join(root, 'calibration'), 'calibration', undefined);
    expect(whole.stderr).toBe('');
    const uploaded = whole.lines.find((l) => l.startsWith('uploaded'));
    expect(uploaded, whole.lines.join('\n')).toBeDefined();
    const windowMs = Math.max(10, Number(uploaded!.split(' ')[1]));

    const rows: string[] = [];
    const problems: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      const storageDir = join(root, `app-${k}`);
      const partition = `kill-${k}`;
      const delayMs = Math.floor(uniform() * windowMs);
      const run = await runClient(storageDir, partition, delayMs);
      expect(run.stderr).toBe('');
      const reached = run.lines.filter((l) => l === 'after' || l.startsWith('uploaded')).map((l) => l.split(' ')[0]);

      // The app starts again on the same storage and syncs until everything is acknowledged.
      const app = new App({ baseUrl: server.url, storageDir, logger: silentLogger });
      try {
        const user = await app.logIn(Credentials.emailPassword(EMAIL, 'pw'));
        const realm = await Realm.open({ sync: { user, partition, clientReset: { mode: 'recoverUnsyncedChanges' } } });
        await uploadAcrossResets(realm.syncSession!);
        await realm.syncSession!.waitForDownload(AbortSignal.timeout(20_000));
        const local = realm.objects('Todo').length;
        const counts = await serverCounts(partition);
        let lost = 0;
        let duplicated = 0;
        for (let i = 1; i <= PENDING; i++) {
          const n = counts.get(i) ?? 0;
          if (n === 0) lost++;
          if (n > 1) duplicated += n - 1;
        }
        rows.push(
          `kill ${k + 1}: after ${run.killedAfterMs?.toFixed(1) ?? 'exit'} ms (delay ${delayMs})${reached.length > 0 ? `, had printed ${reached.join(', ')}` : ''}: ` +
            `server ${PENDING - lost} present, ${lost} lost, ${duplicated} duplicated; reopened realm ${local} documents`,
        );
        if (lost > 0 || duplicated > 0 || local !== PENDING) problems.push(rows.at(-1)!);
        realm.close();
      } finally {
        app.close();
      }
    }
    console.log(
      `client reset crash test (real app, real server), seed ${seed} (CRASH_SEED=${seed} replays the delays): ` +
        `onBefore to the last acknowledgement took ${windowMs.toFixed(1)} ms; ${KILLS} kills over it\n  ${rows.join('\n  ')}`,
    );
    expect(problems).toEqual([]);
  }, 600_000);
});
