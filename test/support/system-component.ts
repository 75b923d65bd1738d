import { accessSync, constants, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, it, type TestFunction } from 'vitest';

/**
 * A program of the machine (not of npm) that some tests drive: Chromium, PostgreSQL. Tests that
 * need one skip without it, with one line saying what to install, except under `CI=true`, where
 * `.ci/run` installs every component and a missing one fails the run.
 */
export interface SystemComponent {
  /** What it is, as the skip line names it: `Chromium`. */
  readonly name: string;
  /** The command that installs it: `apt-get install chromium`. */
  readonly install: string;
  /** The environment variable that overrides where it is looked for (`/nonexistent` simulates its absence). */
  readonly overrideVariable: string;
  /** Where it is on this machine, or where it was looked for in vain. */
  locate(env?: NodeJS.ProcessEnv): Located;
}

/** The outcome of looking for a component: its path, or the place it should have been. */
export type Located = { readonly found: true; readonly path: string } | { readonly found: false; readonly lookedAt: string };

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Debian's chromium, which `.ci/run` installs; Playwright never downloads a browser here. */
export const CHROMIUM: SystemComponent = {
  name: 'Chromium',
  install: 'apt-get install chromium',
  overrideVariable: 'SYNC_SESSION_CHROMIUM',
  locate(env = process.env) {
    const path = env['SYNC_SESSION_CHROMIUM'] ?? '/usr/bin/chromium';
    return executable(path) ? { found: true, path } : { found: false, lookedAt: path };
  },
};

/**
 * PostgreSQL's server programs: a folder holding both `initdb` and `pg_ctl` (a test starts its
 * own cluster), by default Debian's newest `/usr/lib/postgresql/<version>/bin`.
 */
export const POSTGRES: SystemComponent = {
  name: 'PostgreSQL (initdb and pg_ctl)',
  install: 'apt-get install postgresql',
  overrideVariable: 'SYNC_SESSION_POSTGRES_BIN',
  locate(env = process.env) {
    const complete = (bin: string) => executable(join(bin, 'initdb')) && executable(join(bin, 'pg_ctl'));
    const override = env['SYNC_SESSION_POSTGRES_BIN'];
    if (override !== undefined) return complete(override) ? { found: true, path: override } : { found: false, lookedAt: override };
    const base = '/usr/lib/postgresql';
    let versions: string[] = [];
    try {
      versions = readdirSync(base);
    } catch {
      // No PostgreSQL folder at all: the same as none complete.
    }
    // Newest first, numerically: 15 before 9.6.
    versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    const bin = versions.map((version) => join(base, version, 'bin')).find(complete);
    return bin === undefined ? { found: false, lookedAt: `${base}/*/bin` } : { found: true, path: bin };
  },
};

/** What a group of tests does about a component: run with it, skip, or fail because CI requires it. */
export type Gate =
  | { readonly kind: 'run'; readonly path: string }
  | { readonly kind: 'skip'; readonly line: string }
  | { readonly kind: 'fail'; readonly line: string };

/**
 * Decides for `tests` (how the skip line names them, `the inspector's browser tests`): run when
 * the component is there, else skip, or fail when `env.CI` is `true`.
 */
export function gate(component: SystemComponent, tests: string, env: NodeJS.ProcessEnv = process.env): Gate {
  const located = component.locate(env);
  if (located.found) return { kind: 'run', path: located.path };
  const missing = `${tests} need ${component.name} at ${located.lookedAt} (${component.install})`;
  return env['CI'] === 'true'
    ? { kind: 'fail', line: `${missing}; CI=true makes them mandatory` }
    : { kind: 'skip', line: `skipped: ${missing}` };
}

/** Thrown by every test of a group whose component is missing under `CI=true`. */
export class MissingSystemComponentError extends Error {
  override readonly name = 'MissingSystemComponentError';
}

/** `describe` and `it` for tests that need a component, and where it is. */
export interface ComponentTests {
  /** Where the component is; `undefined` when the tests skip or fail. */
  readonly path: string | undefined;
  describe(name: string, body: () => void): void;
  it(name: string, body: TestFunction, timeout?: number): void;
}

/**
 * `describe`/`it` for tests needing `component`: vitest's own when it is there; when it is not,
 * variants that skip (the file prints the one skip line once) or, under `CI=true`, fail each
 * test with the line before anything of the test starts.
 */
export function requiring(component: SystemComponent, tests: string): ComponentTests {
  const decided = gate(component, tests);
  if (decided.kind === 'run') return { path: decided.path, describe, it };
  if (decided.kind === 'skip') {
    // Written at collection, so it shows once per file, beside the file's skipped tests.
    console.warn(decided.line);
    return { path: undefined, describe: (name, body) => describe.skip(name, body), it: (name, body, timeout) => it.skip(name, body, timeout) };
  }
  const fail = (): never => {
    throw new MissingSystemComponentError(decided.line);
  };
  return {
    path: undefined,
    // A failing beforeAll fails every test of the block without running any of its bodies.
    describe: (name, body) =>
      describe(name, () => {
        beforeAll(fail);
        body();
      }),
    it: (name, _body, timeout) => it(name, fail, timeout),
  };
}
