import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version in the package's own package.json: the nearest one above this file, which is
 * the project's both for the sources (src/cli/) and for the compiled, installed package
 * (dist/src/cli/), whose folders differ in depth.
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  // Bounded: each step goes one folder up, and the root is its own parent.
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const version: unknown = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
      if (typeof version !== 'string') throw new Error(`${file} has no version`);
      return version;
    }
    if (dirname(dir) === dir) throw new Error('sync-session: no package.json above the CLI');
    dir = dirname(dir);
  }
}
