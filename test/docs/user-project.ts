/**
 * A user's project with this package installed: the package built fresh into its
 * `node_modules/sync-session` (with this package.json, so `exports` decides what can be
 * imported, as from npm), the user's files beside it, and one `tsc` that checks them as a user's
 * strict NodeNext project and emits them to `out/` to be run with plain `node`.
 *
 * It lives under `test-output/` so that the built package's own imports (`xstate`, `ws`, …)
 * resolve by walking up to the repository's node_modules, as they would from a real install.
 * The repository's `dist/` is never touched (other tests use it).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = join(root, 'node_modules', '.bin', 'tsc');

/** A user project on disk. */
export interface UserProject {
  readonly dir: string;
  /** Where `tsc` emitted `<name>.ts` as `<name>.js`. */
  readonly outDir: string;
  /** `tsc`'s exit code and output for the user's files. */
  readonly check: { readonly code: number; readonly output: string };
}

/** The user's compiler options: what `tsc --init` users turn on for an ESM Node project. */
const userTsconfig = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    types: ['node'],
    // The package's declarations are checked too: a .d.ts that names a file or a type the
    // package does not ship fails here, as it would for a user.
    skipLibCheck: false,
    noEmitOnError: true,
    outDir: 'out',
    rootDir: '.',
  },
  include: ['*.ts'],
};

/**
 * Makes `test-output/<name>/` afresh with the built package and `files` (name → TypeScript
 * source), and type-checks them in one `tsc` run.
 */
export async function userProject(name: string, files: ReadonlyMap<string, string>): Promise<UserProject> {
  const dir = join(root, 'test-output', name);
  rmSync(dir, { recursive: true, force: true });
  const pkg = join(dir, 'node_modules', 'sync-session');
  mkdirSync(pkg, { recursive: true });
  await run(tsc, ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], { cwd: root });
  copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'));
  // The user's own package.json: ESM, and it ends the package scope here, so `sync-session`
  // is not resolved as this repository's self-reference (to its own dist/).
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'a-user-app', private: true, type: 'module' }, null, 2)}\n`);
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(userTsconfig, null, 2)}\n`);
  for (const [file, source] of files) writeFileSync(join(dir, `${file}.ts`), source);
  const check = await run(tsc, ['-p', dir], { cwd: dir }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
  );
  return { dir, outDir: join(dir, 'out'), check };
}
