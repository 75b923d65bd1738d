import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../support/cli-run.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A port this test holds: a command that started would fail to bind it, not print its help. */
async function heldPort(): Promise<number> {
  const server: Server = createServer();
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('sync-session, run as a command', () => {
  it('--version prints the version in package.json', async () => {
    const run = await runCli(['--version']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.trim()).toBe(version);
  });

  it.each([
    ['serve', 'usage: sync-session serve', ['--port']],
    ['inspect', 'usage: sync-session inspect', ['--port']],
    ['demo', 'usage: sync-session demo', ['--inspect-port']],
    ['model-demo', 'usage: sync-session model-demo', []],
  ] as const)('%s --help prints its usage and exits 0, starting nothing', async (command, usage, portFlag) => {
    const port = String(await heldPort());
    // serve and inspect run until a signal, so ending by itself (code 0) means nothing started.
    const run = await runCli([command, ...portFlag.flatMap((flag) => [flag, port]), '--help']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(usage);
    expect(run.stdout).not.toMatch(/listening|inspector:|• |state:/);
  });

  it.each(['serve', 'inspect', 'demo', 'model-demo'])('%s refuses an unknown flag, naming it', async (command) => {
    const run = await runCli([command, '--colour']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("'--colour'");
    expect(run.stdout).toBe('');
  });

  it.each([
    ['inspect', '--port', '-1'],
    ['serve', '--port', '65536'],
    ['demo', '--inspect-port', '-5'],
    ['demo', '--inspect-port', '1.5'],
    ['demo', '--inspect-port', '0x50'],
  ])('%s %s %s is refused, saying what a port must be', async (command, flag, value) => {
    const run = await runCli([command, flag, value]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${flag} must be an integer 0–65535 (0 = a free port), got ${value}`);
    expect(run.stdout).toBe('');
  });
});
