import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM, gate, POSTGRES } from '../support/system-component.js';

const root = mkdtempSync(join(tmpdir(), 'system-component-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder holding an executable file for each of `names`. */
function binFolder(name: string, names: readonly string[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const program of names) {
    writeFileSync(join(dir, program), '#!/bin/sh\n');
    chmodSync(join(dir, program), 0o755);
  }
  return dir;
}

describe('a system component a test needs', () => {
  it('is run with where it is found; the override points elsewhere', () => {
    expect(gate(CHROMIUM, 'the browser tests', { SYNC_SESSION_CHROMIUM: process.execPath })).toEqual({ kind: 'run', path: process.execPath });
  });

  it('missing, skips with one line naming the tests, the place looked at and the install command', () => {
    expect(gate(CHROMIUM, "the inspector's browser tests", { SYNC_SESSION_CHROMIUM: '/nonexistent' })).toEqual({
      kind: 'skip',
      line: "skipped: the inspector's browser tests need Chromium at /nonexistent (apt-get install chromium)",
    });
  });

  it('missing under CI=true, fails instead of skipping (and only CI=true does)', () => {
    const env = { SYNC_SESSION_CHROMIUM: '/nonexistent', CI: 'true' };
    expect(gate(CHROMIUM, 'the browser tests', env)).toEqual({
      kind: 'fail',
      line: 'the browser tests need Chromium at /nonexistent (apt-get install chromium); CI=true makes them mandatory',
    });
    expect(gate(CHROMIUM, 'the browser tests', { ...env, CI: '1' }).kind).toBe('skip');
  });

  it('a file that is there but not executable counts as missing', () => {
    const dir = binFolder('not-executable', []);
    writeFileSync(join(dir, 'chromium'), '');
    expect(gate(CHROMIUM, 'x', { SYNC_SESSION_CHROMIUM: join(dir, 'chromium') }).kind).toBe('skip');
  });

  it('PostgreSQL is a folder with both initdb and pg_ctl; one of them alone is missing', () => {
    const both = binFolder('pg-both', ['initdb', 'pg_ctl']);
    const half = binFolder('pg-half', ['initdb']);
    expect(gate(POSTGRES, 'the PostgreSQL tests', { SYNC_SESSION_POSTGRES_BIN: both })).toEqual({ kind: 'run', path: both });
    expect(gate(POSTGRES, 'the PostgreSQL tests', { SYNC_SESSION_POSTGRES_BIN: half })).toEqual({
      kind: 'skip',
      line: `skipped: the PostgreSQL tests need PostgreSQL (initdb and pg_ctl) at ${half} (apt-get install postgresql)`,
    });
  });
});
