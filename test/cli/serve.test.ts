import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { logIn } from '../support/wire-client.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('sync-session serve', () => {
  it('logs where it listens, serves logins, and stops cleanly on SIGTERM', async () => {
    const data = mkdtempSync(join(tmpdir(), 'serve-cli-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0', '--data', data], { cwd: root });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await eventually(() => /listening on ws:\/\/127\.0\.0\.1:\d+\/sync/.test(out), 'the listening line', 20_000);
      const port = /127\.0\.0\.1:(\d+)\/sync/.exec(out)?.[1];
      expect(port).toBeDefined();
      const login = await logIn(`http://127.0.0.1:${port}`);
      expect(login.userId).toMatch(/^anon-/);
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(out).toContain('stopped');
    } finally {
      child.kill('SIGKILL');
      rmSync(data, { recursive: true, force: true });
    }
  }, 30_000);
});
