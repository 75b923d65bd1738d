import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTsxProcess } from '../support/tsx-process.js';
import { logIn } from '../support/wire-client.js';

describe('sync-session serve', () => {
  it('says once where it listens, serves logins, and stops cleanly on SIGTERM', async () => {
    const data = mkdtempSync(join(tmpdir(), 'serve-cli-'));
    const serve = await startTsxProcess(['src/cli.ts', 'serve', '--port', '0', '--data', data], (out) => /listening on ws:\/\/127\.0\.0\.1:\d+\/sync/.test(out));
    try {
      const port = /127\.0\.0\.1:(\d+)\/sync/.exec(serve.output())?.[1];
      expect(port).toBeDefined();
      const login = await logIn(`http://127.0.0.1:${port}`);
      expect(login.userId).toMatch(/^anon-/);
      expect(await serve.stop('SIGTERM')).toBe(0);
      expect(serve.output()).toContain('stopped');
      // One line says where it listens (the server's own log line used to repeat it).
      expect(serve.output().split('\n').filter((line) => /listening/.test(line))).toHaveLength(1);
    } finally {
      await serve.stop();
      rmSync(data, { recursive: true, force: true });
    }
  }, 30_000);
});
