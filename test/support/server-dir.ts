/**
 * A test file's real server over a temporary data directory, with the wire sockets its tests
 * open: all closed, and the directory removed, after the file's tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { startServer, type ServerOptions, type SyncServer } from '../../src/server/index.js';
import type { WireClient } from './wire-client.js';

/** What {@link useServerDir} gives a test file. */
export interface ServerDir {
  /** The temporary data directory. */
  readonly dir: string;
  /** Sockets to close after the file's tests: push each one opened. */
  readonly sockets: WireClient[];
  /** Starts a server on `dir` (or `options.dataDir`), closed after the file's tests. */
  start(options?: Partial<ServerOptions>): Promise<SyncServer>;
}

/** Registers the clean-up of a file's server and sockets; call at the file's top level. */
export function useServerDir(prefix: string): ServerDir {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const sockets: WireClient[] = [];
  const servers: SyncServer[] = [];
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    sockets,
    start: async (options = {}) => {
      const server = await startServer({ dataDir: dir, ...options });
      servers.push(server);
      return server;
    },
  };
}
