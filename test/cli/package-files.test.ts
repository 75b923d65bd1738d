import { execFile, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What `npm pack --dry-run --json` says of the package. */
interface PackReport {
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

/** Top-level entries of the project that a fresh clone does not have, or that are not the package's. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', 'scratch', 'test-output', 'bench']);

/** Every string in an `exports` or `bin` value (conditions and subpaths nest). */
function pathsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(pathsIn);
  return [];
}

/**
 * `npm pack --dry-run --json` in a copy of the project without dist/, as on a fresh clone, so
 * that its `prepare` build runs (and writes) there, and files of an old build here do not count.
 */
async function packInCopy(): Promise<{ dir: string; files: Set<string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sync-session-pack-'));
  let child: ChildProcess | undefined;
  onTestFinished(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  cpSync(root, dir, { recursive: true, filter: (from) => !NOT_COPIED.has(relative(root, from).split(/[\\/]/)[0]!) });
  symlinkSync(realpathSync(join(root, 'node_modules')), join(dir, 'node_modules'), 'dir');
  const stdout = await new Promise<string>((resolve, reject) => {
    // --offline: packing needs no registry, and the test must not reach one.
    child = execFile('npm', ['pack', '--dry-run', '--json', '--offline'], { cwd: dir, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, out, err) => {
      if (error) reject(new Error(`npm pack failed: ${error.message}\n${err}`));
      else resolve(out);
    });
  });
  // The prepare script's output precedes the JSON on stdout.
  const [report] = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as PackReport[];
  return { dir, files: new Set(report!.files.map((file) => file.path)) };
}

describe('the packed package', () => {
  it('has its license and docs, every path package.json names, no test files, and no source map to a missing source', async () => {
    const { dir, files } = await packInCopy();
    for (const doc of ['LICENSE', 'README.md', 'PROTOCOL.md', 'package.json']) expect(files, doc).toContain(doc);

    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: unknown; bin: unknown };
    const named = [...pathsIn(manifest.exports), ...pathsIn(manifest.bin)].map((path) => posix.normalize(path));
    expect(named.length).toBeGreaterThan(5);
    for (const path of named) expect(files, `package.json names ${path}`).toContain(path);

    expect([...files].filter((path) => /(^|\/)test\/|\.(test|spec)\.[cm]?[jt]s$/.test(path))).toEqual([]);

    const missing: string[] = [];
    for (const map of [...files].filter((path) => path.endsWith('.map'))) {
      const { sources = [], sourceRoot = '' } = JSON.parse(readFileSync(join(dir, map), 'utf8')) as { sources?: string[]; sourceRoot?: string };
      for (const source of sources) {
        const shipped = posix.normalize(posix.join(posix.dirname(map), sourceRoot, source));
        if (!files.has(shipped)) missing.push(`${map} → ${shipped}`);
      }
    }
    expect(missing).toEqual([]);
  }, 180_000);
});
