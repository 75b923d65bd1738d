/**
 * The README runs as written: every ```ts block (joined into programs by the convention in
 * `readme-programs.ts`: a block after `<!-- continues -->` continues the one before) is
 * type-checked, in one `tsc` run, as a user's strict NodeNext project that has the package
 * freshly built and installed (`user-project.ts`), importing `sync-session` and its subpaths
 * through package.json `exports`. The "Use" program is then run with plain `node` in an empty
 * folder: it starts its own server and must exit 0 by itself, having printed what its
 * comments promise, and the server's data it leaves must hold what it wrote. The server's and
 * the local realm file's examples run the same way.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App, Credentials, Realm, silentLogger } from '../../src/index.js';
import { startServer } from '../../src/server/index.js';
import { pointAtReadme, readmePrograms, type ReadmeProgram } from './readme-programs.js';
import { runToExit } from './run-to-exit.js';
import { userProject, type UserProject } from './user-project.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

// Registered before anything starts: a failing or hanging example is killed, its folder removed.
const children = new Set<ChildProcess>();
const folders: string[] = [];
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('README examples', () => {
  let programs: ReadmeProgram[];
  let project: UserProject;

  beforeAll(async () => {
    programs = readmePrograms(readme);
    project = await userProject('readme-check', new Map(programs.map((p) => [p.name, p.source])));
  });

  it('type-check against the installed package, as a user imports it', () => {
    const report = pointAtReadme(project.check.output, programs);
    expect(report, `tsc -p ${project.dir}`).toBe('');
    expect(project.check.code).toBe(0);
    // The sections with examples, so that a block lost to a broken fence or marker fails here.
    expect(programs.map((p) => p.name)).toEqual(expect.arrayContaining(['use', 'the-inspector', 'the-server', 'the-local-realm-file', 'the-model']));
    expect(programs.find((p) => p.name === 'use')?.source).toContain('session.waitForDownload()'); // the continued block is in it
  });

  it('the "Use" example runs to completion against its embedded server and exits 0 by itself', async () => {
    expect(project.check.code, 'the examples must type-check first').toBe(0);
    const cwd = mkdtempSync(join(tmpdir(), 'readme-use-'));
    folders.push(cwd);
    const exit = await runToExit(join(project.outDir, 'use.js'), cwd, 60_000, (child) => children.add(child));
    const printed = `stdout:\n${exit.stdout}\nstderr:\n${exit.stderr}`;
    expect(exit.killed, `it did not exit by itself within 60 s\n${printed}`).toBe(false);
    expect(exit.code, printed).toBe(0);
    expect(exit.stderr, 'no warning, no session error').toBe('');

    // The upload progress of `forCurrentlyOutstandingWork` ends at 1, complete (and not before).
    const progress = exit.stdout.split('\n').filter((line) => /^\d+ \d+ [\d.e-]+ (true|false)$/.test(line));
    expect(progress.length, printed).toBeGreaterThan(0);
    expect(progress.at(-1)?.split(' ').slice(2), printed).toEqual(['1', 'true']);
    for (const line of progress) expect(line.split(' ')[3], printed).toBe(String(line.split(' ')[2] === '1'));
    expect(exit.stdout).toMatch(/^SyncSession\(.*team-1.*\.realm, active, connected\)$/m);
    // The lookups: the session by user and partition, the current user, its app, every user.
    expect(exit.stdout).toMatch(/^true\ntrue true 1$/m);
    // Its local file, where the README says a synced realm opened without a path lives.
    expect(readdirSync(join(cwd, 'local'), { recursive: true }).some((f) => /team-1.*\.realm$/.test(String(f)))).toBe(true);

    // "t1 and t2 are on the server": another user, on the server's data the example left, downloads them.
    const server = await startServer({ dataDir: join(cwd, 'sync-data'), logger: silentLogger });
    const app = new App({ baseUrl: server.url, storageDir: join(cwd, 'checker'), logger: silentLogger });
    try {
      const user = await app.logIn(Credentials.anonymous());
      const realm = await Realm.open({ sync: { user, partition: 'team-1' } });
      await realm.syncSession!.waitForDownload(AbortSignal.timeout(10_000));
      expect(realm.objects('Task')).toEqual([
        { id: 't1', fields: { title: 'x', done: false } },
        { id: 't2', fields: { title: 'y', done: true } },
      ]);
      realm.close();
    } finally {
      app.close();
      await server.close();
    }
  });

  // The other examples that start nothing of their own outside the process run too (the
  // model's exhaustive walk takes most of a minute and the inspector's connects to a relay that
  // may be the user's: those two are only type-checked).
  it.each([
    ['the-server', 'sync-data'],
    ['the-local-realm-file', 'local/notes.realm'],
  ])('the "%s" example runs to completion and exits 0 by itself, leaving %s', async (name, leaves) => {
    expect(project.check.code, 'the examples must type-check first').toBe(0);
    const cwd = mkdtempSync(join(tmpdir(), `readme-${name}-`));
    folders.push(cwd);
    const exit = await runToExit(join(project.outDir, `${name}.js`), cwd, 60_000, (child) => children.add(child));
    const printed = `stdout:\n${exit.stdout}\nstderr:\n${exit.stderr}`;
    expect(exit.killed, `it did not exit by itself within 60 s\n${printed}`).toBe(false);
    expect(exit.code, printed).toBe(0);
    expect(exit.stderr).toBe('');
    expect(existsSync(join(cwd, leaves))).toBe(true);
  });

  it('the "Testing your own edge cases" example runs its 20 seeds from the installed package, its invariant holding, and exits 0 by itself', async () => {
    expect(project.check.code, 'the examples must type-check first').toBe(0);
    const cwd = mkdtempSync(join(tmpdir(), 'readme-testing-'));
    folders.push(cwd);
    const exit = await runToExit(join(project.outDir, 'testing-your-own-edge-cases.js'), cwd, 120_000, (child) => children.add(child));
    const printed = `stdout:\n${exit.stdout}\nstderr:\n${exit.stderr}`;
    expect(exit.killed, `it did not exit by itself within 120 s\n${printed}`).toBe(false);
    expect(exit.code, printed).toBe(0);
    expect(exit.stderr).toBe('');
    const seeds = exit.stdout.split('\n').filter((line) => /^seed \d+: ok, \d+ writes, \d+ client and \d+ server crashes, digest [0-9a-f]{16}$/.test(line));
    expect(seeds, printed).toHaveLength(20);
    // Nothing of the simulated machines reached this one's disk.
    expect(readdirSync(cwd)).toEqual([]);
  });
});
