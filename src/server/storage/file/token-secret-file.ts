import { randomBytes } from 'node:crypto';
import type { FileSystem } from '../../../store/file-system.js';
import { join } from 'node:path';
import { fsyncDirectory, removeQuietly, writeFileDurably } from '../../../store/durable-fs.js';
import { MIN_TOKEN_SECRET_LENGTH } from '../server-storage.js';

/** The file in `dataDir` that keeps the token secret: one line, owner-only (0600). */
export const TOKEN_SECRET_FILE = 'token-secret';

/**
 * The secret kept in `dataDir`, or `undefined` when there is none to sign with: no file, or one
 * too short (an empty file an older version left when it crashed while writing it).
 */
export function readTokenSecret(fs: FileSystem, dataDir: string): string | undefined {
  let stored: string;
  try {
    stored = fs.readFileSync(join(dataDir, TOKEN_SECRET_FILE), 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return stored.length >= MIN_TOKEN_SECRET_LENGTH ? stored : undefined;
}

/**
 * Makes a random secret and puts it in place of whatever `dataDir` kept, atomically: a crash
 * leaves the old file or the whole new one, so a secret that signed tokens is never half gone.
 */
export function storeNewTokenSecret(fs: FileSystem, dataDir: string): string {
  const secret = randomBytes(32).toString('hex');
  const path = join(dataDir, TOKEN_SECRET_FILE);
  const scratch = `${path}.new`;
  writeFileDurably(fs, scratch, Buffer.from(`${secret}\n`, 'utf8'));
  try {
    fs.renameSync(scratch, path);
  } catch (error) {
    removeQuietly(fs, scratch);
    throw error;
  }
  fsyncDirectory(fs, dataDir);
  return secret;
}
