/** The bytes of a directory tree: the sum of its regular files' sizes (a bench helper). */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Sum of the sizes of the regular files under `dir` (0 if it does not exist); symlinks are not followed. */
export function dirBytes(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (path: string): void => {
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        bytes += statSync(full).size;
        files++;
      }
    }
  };
  walk(dir);
  return { bytes, files };
}
