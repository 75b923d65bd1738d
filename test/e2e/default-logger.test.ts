/**
 * Silent by default was a bug: with no `onError` and no logger, a refused partition only
 * turned its session inactive. The default logger writes it to stderr; `silentLogger` opts out.
 * Each app runs in its own process, so what it printed is its stderr, read whole.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type SyncServer } from '../../src/server/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'default-logger-'));
const children = new Set<ReturnType<typeof spawn>>();
let server: SyncServer;

beforeAll(async () => {
  server = await startServer({ dataDir: join(dir, 'server'), permissions: (_user, partition) => (partition === 'forbidden' ? 'none' : 'readWrite') });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the fixture to its end; its stdout and stderr apart. */
function run(mode: 'default' | 'silent'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/fixtures/refused-partition.ts', server.url, join(dir, mode), mode], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('the default logger', () => {
  it('prints a refused partition to stderr when there is no onError, and nothing with silentLogger', async () => {
    const [loud, quiet] = await Promise.all([run('default'), run('silent')]);
    console.log(`default: exit ${loud.code}, stderr ${JSON.stringify(loud.stderr)}; silent: exit ${quiet.code}, stderr ${JSON.stringify(quiet.stderr)}`);
    expect(loud.stdout).toContain('ended inactive');
    expect(loud.code).toBe(0);
    expect(loud.stderr).toMatch(/sync error/);
    expect(loud.stderr).toMatch(/permissionDenied/);
    expect(quiet.stdout).toContain('ended inactive');
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  }, 90_000);
});
