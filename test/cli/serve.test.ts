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

describe('sync-session serve with a flag startServer refuses', () => {
  it("says which flag in one line and exits 2: --data '' (dataDir) and --host ''", async () => {
    for (const [flags, named] of [[['--data', ''], /^sync-session serve: --data \(dataDir\) must be a non-empty path, got ""$/m], [['--host', ''], /^sync-session serve: --host \(host\) must be a non-empty string, got ""$/m]] as const) {
      const serve = await startTsxProcess(['src/cli.ts', 'serve', '--port', '0', ...flags], (out) => named.test(out));
      try {
        expect(await serve.exited).toBe(2);
        expect(serve.output()).not.toMatch(/\n\s+at /);
      } finally {
        await serve.stop();
      }
    }
  }, 60_000);
});
