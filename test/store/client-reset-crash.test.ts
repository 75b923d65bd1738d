/**
 * A client reset killed for real: a child process resets a realm file holding ≥ 1,000
 * unacknowledged changesets and is SIGKILLed at random instants (seeded: `CRASH_SEED=…`
 * replays the delays). After each kill the file must hold the old state (stale epoch, old
 * ident, every unsynced changeset) or the whole reset state (no epoch, a new ident, and in
 * recover mode every unsynced changeset once, as pending uploads 1..n of the new ident).
 * Reopening then finishes the reset if it had not happened, and never applies it twice.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { seededUniform } from '../support/seeded-random.js';
import type { Operation } from '../../src/protocol/changeset.codec.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { RecordingLogger, useTempDir } from './temp-dir.js';
import { decodedChangesets } from '../support/decoded-changesets.js';

const tempDir = useTempDir('reset-crash');
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const STALE_EPOCH = 'epoch-before-reset';
/** Unacknowledged changesets in the file when the reset starts. */
const PENDING = 1_500;
const ACKNOWLEDGED = 20;
/** Each changeset's payload: large enough that the reset file spans many pages. */
const PAD = 'x'.repeat(400);
/** A child that neither prints nor ends within this is killed and the test fails. */
const CHILD_DEADLINE_MS = 60_000;

const children = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

/** The operations of unacknowledged changeset `i` (1-based): a put, and every tenth a delete of an earlier one, so order matters. */
function opsOf(i: number): Operation[] {
  const ops: Operation[] = [{ op: 'put', type: 'Todo', id: `t${i}`, fields: { i, pad: PAD } }];
  if (i % 10 === 0) ops.push({ op: 'delete', type: 'Todo', id: `t${i - 5}` });
  return ops;
}

/** A file as a client has it when the server's history was reset: some changesets acknowledged, a download, a stale epoch, PENDING more. */
function prepare(file: string): string {
  const realm = RealmFile.open({ path: file, durability: 'batched' });
  for (let i = 1; i <= ACKNOWLEDGED; i++) realm.write((tx) => tx.put('Synced', `s${i}`, { i }));
  realm.acknowledgeUpload(ACKNOWLEDGED);
  realm.integrateDownload(
    decodedChangesets([{ origin: 'peer', serverVersion: 1, clientVersion: 1, hlc: { wall: 1, counter: 0 }, ops: [{ op: 'put', type: 'Peer', id: 'p', fields: { x: 1 } }] }]),
    { serverVersion: 1, clientVersion: ACKNOWLEDGED },
    0,
  );
  realm.setEpoch(STALE_EPOCH);
  for (let i = 1; i <= PENDING; i++) {
    const ops = opsOf(i);
    realm.write((tx) => {
      for (const op of ops) {
        if (op.op === 'put') tx.put(op.type, op.id, op.fields);
        else tx.delete(op.type, op.id);
      }
    });
  }
  const ident = realm.fileIdent;
  realm.close();
  return ident;
}

interface ChildRun {
  /** Milliseconds from `resetting` to the kill, or `undefined` if not killed. */
  readonly killedAfterMs: number | undefined;
  /** The child printed `done`: the reset call had returned before the kill. */
  readonly finished: boolean;
  /** The reset's own duration as the child measured it (when it finished). */
  readonly resetMs: number | undefined;
  readonly stderr: string;
}

/** Runs the reset child on `file`; SIGKILLs it `delayMs` after it printed `resetting` (never, for `undefined`). */
function runChild(file: string, mode: 'recover' | 'discard', delayMs: number | undefined): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/store/fixtures/reset-child.ts', file, mode, STALE_EPOCH], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let out = '';
    let stderr = '';
    let resettingAt: number | undefined;
    let killedAfterMs: number | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) {
        if (resettingAt !== undefined) killedAfterMs = performance.now() - resettingAt;
        child.kill('SIGKILL');
      }
    };
    const deadline = setTimeout(kill, CHILD_DEADLINE_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (resettingAt === undefined && out.includes('resetting\n')) {
        resettingAt = performance.now();
        if (delayMs !== undefined) killTimer = setTimeout(kill, delayMs);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      children.delete(child);
      const done = /done ([\d.]+)/.exec(out);
      resolve({ killedAfterMs, finished: done !== null, resetMs: done === null ? undefined : Number(done[1]), stderr });
    });
  });
}

/** What a reopened file holds, measured against the unsynced changesets it had before the reset. */
interface Found {
  readonly state: 'old' | 'reset';
  /** Unsynced changesets present exactly once (as pending uploads, in order). */
  readonly present: number;
  readonly lost: number;
  readonly duplicated: number;
}

/** Opens `file` and checks it is the old file whole or the reset file whole; returns what it holds. */
function inspect(file: string, mode: 'recover' | 'discard', oldIdent: string): Found {
  const realm = RealmFile.open({ path: file, logger: new RecordingLogger() });
  try {
    const pending = realm.pendingChangesets(0);
    const counts = new Map<number, number>();
    for (const c of pending) {
      const put = c.ops[0];
      const i = put?.op === 'put' ? (put.fields.i as number) : -1;
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    let present = 0;
    let duplicated = 0;
    for (let i = 1; i <= PENDING; i++) {
      const n = counts.get(i) ?? 0;
      if (n >= 1) present++;
      if (n > 1) duplicated += n - 1;
    }
    const expected = mode === 'discard' && realm.cursors.epoch !== STALE_EPOCH ? 0 : PENDING;
    const found: Found = { state: realm.cursors.epoch === STALE_EPOCH ? 'old' : 'reset', present, lost: expected - present, duplicated };
    if (found.state === 'old') {
      // The old file, whole: its ident, its cursors, every unsynced changeset as it was.
      expect(realm.fileIdent).toBe(oldIdent);
      expect(realm.cursors.upload.clientVersion).toBe(ACKNOWLEDGED);
      expect(pending.map((c) => c.clientVersion)).toEqual(Array.from({ length: PENDING }, (_, k) => ACKNOWLEDGED + 1 + k));
      expect(realm.objectForPrimaryKey('Peer', 'p')).toEqual({ x: 1 });
      return found;
    }
    // The reset file, whole: a new ident, no epoch, zero cursors…
    expect(realm.fileIdent).not.toBe(oldIdent);
    expect(realm.cursors.epoch).toBeUndefined();
    expect(realm.cursors.upload).toEqual({ clientVersion: 0, serverVersion: 0 });
    expect(realm.objects('Peer')).toEqual([]);
    expect(realm.objects('Synced')).toEqual([]);
    if (mode === 'discard') {
      expect(pending).toEqual([]);
      expect(realm.objects('Todo')).toEqual([]);
      return found;
    }
    // …and every unsynced changeset once, in order, as pending uploads 1..n of the new ident.
    expect({ lost: found.lost, duplicated: found.duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(pending.map((c) => [c.clientVersion, c.origin, c.ops])).toEqual(
      Array.from({ length: PENDING }, (_, k) => [k + 1, realm.fileIdent, opsOf(k + 1)]),
    );
    expect(realm.clientVersion).toBe(PENDING);
    const todos = realm.objects('Todo');
    expect(todos).toHaveLength(PENDING - PENDING / 10);
    expect(realm.objectForPrimaryKey('Todo', 't5')).toBeUndefined();
    expect(realm.objectForPrimaryKey('Todo', `t${PENDING}`)).toEqual({ i: PENDING, pad: PAD });
    return found;
  } finally {
    realm.close();
  }
}

/** What a restarted runtime does: a file still of the stale epoch is reset (the server asks again); any other is left as it is. */
function restart(file: string, mode: 'recover' | 'discard'): void {
  const realm = RealmFile.open({ path: file });
  if (realm.cursors.epoch === STALE_EPOCH) realm.resetForClientReset(mode);
  realm.close();
}

const seed = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
const uniform = seededUniform(seed);

describe.each([
  ['recover', 12],
  ['discard', 4],
] as const)('a %s client reset killed with SIGKILL at random instants', (mode, kills) => {
  it(`leaves the old file or the whole reset file, every unsynced change exactly once (${kills} kills, ${PENDING} pending changesets)`, async () => {
    const dir = tempDir();
    // One run to its end tells how long a reset takes here: the kills are spread over that window.
    const calibration = join(dir, 'calibration.realm');
    const calibrationIdent = prepare(calibration);
    const whole = await runChild(calibration, mode, undefined);
    expect(whole.stderr).toBe('');
    expect(whole.finished).toBe(true);
    expect(inspect(calibration, mode, calibrationIdent)).toMatchObject({ state: 'reset', lost: 0, duplicated: 0 });
    const windowMs = Math.max(5, 1.25 * whole.resetMs!);

    const rows: string[] = [];
    const failures: string[] = [];
    let totalLost = 0;
    for (let k = 0; k < kills; k++) {
      const file = join(dir, `kill-${k}.realm`);
      const oldIdent = prepare(file);
      const delayMs = Math.floor(uniform() * windowMs);
      const run = await runChild(file, mode, delayMs);
      expect(run.stderr).toBe('');
      let found: Found;
      try {
        found = inspect(file, mode, oldIdent);
      } catch (error) {
        // Reported with the figures below, after every kill ran (the figures are the point).
        failures.push(`kill ${k + 1}: ${String(error).split('\n')[0]}`);
        found = inspectLoosely(file, mode);
      }
      totalLost += found.lost;
      rows.push(
        `kill ${k + 1}: after ${run.killedAfterMs?.toFixed(1) ?? 'exit'} ms (delay ${delayMs})${run.finished ? ', reset had returned' : ''}: ` +
          `${found.state} file, ${found.present} present, ${found.lost} lost, ${found.duplicated} duplicated`,
      );
      // The runtime starts again on the same file: the reset happens if it had not, and never twice.
      restart(file, mode);
      restart(file, mode);
      try {
        expect(inspect(file, mode, oldIdent)).toMatchObject({ state: 'reset', lost: 0, duplicated: 0 });
      } catch (error) {
        failures.push(`kill ${k + 1}, after restart: ${String(error).split('\n')[0]}`);
      }
    }
    const landed = rows.filter((r) => !r.includes('reset had returned')).length;
    console.log(
      `client reset crash test (${mode}), seed ${seed} (CRASH_SEED=${seed} replays the delays): a whole reset of ${PENDING} pending changesets ` +
        `took ${whole.resetMs} ms; ${kills} kills over ${windowMs.toFixed(1)} ms, ${landed} before the reset call returned; ` +
        `${totalLost} unsynced changesets lost in all\n  ${rows.join('\n  ')}`,
    );
    expect(failures).toEqual([]);
    expect(totalLost).toBe(0);
  }, 300_000);
});

/** The figures of a file that failed {@link inspect}'s checks: what is there, without asserting. */
function inspectLoosely(file: string, mode: 'recover' | 'discard'): Found {
  const realm = RealmFile.open({ path: file, logger: new RecordingLogger() });
  try {
    const ids = new Map<number, number>();
    for (const c of realm.pendingChangesets(0)) {
      const put = c.ops[0];
      if (put?.op === 'put') ids.set(put.fields.i as number, (ids.get(put.fields.i as number) ?? 0) + 1);
    }
    const present = [...ids.keys()].filter((i) => i >= 1 && i <= PENDING).length;
    const duplicated = [...ids.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    const state = realm.cursors.epoch === STALE_EPOCH ? 'old' : 'reset';
    return { state, present, lost: (mode === 'discard' && state === 'reset' ? 0 : PENDING) - present, duplicated };
  } finally {
    realm.close();
  }
}
