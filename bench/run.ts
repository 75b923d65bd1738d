/**
 * Runs the benchmarks: `npm run bench` (all, in order) or `npm run bench -- store-commit
 * upload-wait` (those named). Each benchmark runs in its own Node process (a clean heap and
 * event loop; `--expose-gc` for heap figures), prints its progress on stderr and its report as
 * one JSON line on stdout; this process collects the lines, echoes them and prints the table.
 *
 * BENCH_SCALE=0.1 for a quick run; BENCH_CPU_PROF=1 writes `node --cpu-prof` profiles of each
 * benchmark process to bench/profiles/<name>/ (and of each sync server it starts to
 * bench/profiles/server-PID-N/; the largest file of a directory is the main thread). A benchmark that fails or is not there is reported as
 * skipped; the exit code is then 1. One that finds a system component it needs missing (the
 * `skipped` of its report: `nodes` without PostgreSQL) is reported as skipped too, with why,
 * and does not fail the run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { printTable, type Benchmark, type BenchReport } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** In the order of the plan; `file` exports `export` (a Benchmark). */
const registry: ReadonlyArray<{ name: string; file: string; export: string }> = [
  { name: 'store-commit', file: 'store-commit.bench.ts', export: 'storeCommit' },
  { name: 'upload-wait', file: 'upload-wait.bench.ts', export: 'uploadWait' },
  { name: 'actor-events', file: 'actor-events.bench.ts', export: 'actorEvents' },
  { name: 'multiplex', file: 'multiplex.bench.ts', export: 'multiplex' },
  { name: 'initial-download', file: 'initial-download.bench.ts', export: 'initialDownload' },
  { name: 'fanout-peers', file: 'fanout-peers.bench.ts', export: 'fanoutPeers' },
  // Issue 13: a partition as compacted state + tail.
  { name: 'storage-retention', file: 'storage-retention.bench.ts', export: 'storageRetention' },
  { name: 'server-memory', file: 'server-memory.bench.ts', export: 'serverMemory' },
  { name: 'catch-up', file: 'catch-up.bench.ts', export: 'catchUp' },
  // Several nodes on one PostgreSQL database: what a node's refresh costs.
  { name: 'postgres-refresh', file: 'postgres-refresh.bench.ts', export: 'postgresRefresh' },
  // Issue 14: several server nodes on one PostgreSQL database.
  { name: 'nodes', file: 'nodes.bench.ts', export: 'nodes' },
  // Issue 15: the deterministic simulation of the whole system.
  { name: 'simulation', file: 'simulation.bench.ts', export: 'simulation' },
];

/** Per-benchmark wall-clock bound for the child process: every run is bounded. */
const CHILD_TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 15 * 60_000);

async function child(name: string): Promise<void> {
  const entry = registry.find((b) => b.name === name);
  if (entry === undefined) throw new Error(`no benchmark ${name}`);
  const mod = (await import(pathToFileURL(join(here, entry.file)).href)) as Record<string, Benchmark>;
  const bench = mod[entry.export];
  if (bench === undefined) throw new Error(`${entry.file} exports no ${entry.export}`);
  const report = await bench.run();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function runChild(name: string): Promise<{ report?: BenchReport; error?: string }> {
  const args = ['--import', 'tsx', '--expose-gc'];
  if (process.env.BENCH_CPU_PROF === '1') {
    // One directory per benchmark, Node's default names inside: tsx's loader thread writes a
    // profile too, and under one fixed name the two would overwrite each other.
    const dir = join(here, 'profiles', name);
    mkdirSync(dir, { recursive: true });
    args.push('--cpu-prof', '--cpu-prof-dir', dir);
  }
  args.push(join(here, 'run.ts'), '--child', name);
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let out = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => (out += chunk));
    const timer = setTimeout(() => proc.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').reverse().find((l) => l.startsWith('{'));
      if (code === 0 && line !== undefined) resolve({ report: JSON.parse(line) as BenchReport });
      else resolve({ error: signal !== null ? `killed by ${signal}` : `exit code ${code}` });
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1]!);
  const wanted = argv.length === 0 ? registry.map((b) => b.name) : argv;
  for (const name of wanted) if (!registry.some((b) => b.name === name)) throw new Error(`unknown benchmark ${name}; known: ${registry.map((b) => b.name).join(', ')}`);
  const reports: BenchReport[] = [];
  // `absent`: the benchmark found a system component it needs missing (not a failure).
  const skipped: { name: string; reason: string; absent?: true }[] = [];
  for (const name of wanted) {
    const entry = registry.find((b) => b.name === name)!;
    if (!existsSync(join(here, entry.file))) {
      skipped.push({ name, reason: `not written yet (${relative(root, join(here, entry.file))})` });
      process.stderr.write(`# ${name}: skipped, not written yet\n`);
      continue;
    }
    process.stderr.write(`# ${name}\n`);
    const started = Date.now();
    const { report, error } = await runChild(name);
    process.stderr.write(`# ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (report === undefined) {
      skipped.push({ name, reason: error ?? 'failed' });
      continue;
    }
    if (report.skipped !== undefined) {
      // It ran and found what it needs missing (said on stderr): skipped, not failed.
      skipped.push({ name, reason: report.skipped, absent: true });
      continue;
    }
    reports.push(report);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
  process.stdout.write(`\n${printTable(reports, skipped)}\n`);
  for (const r of reports) for (const note of r.notes ?? []) process.stdout.write(`note (${r.benchmark}): ${note}\n`);
  if (skipped.some((s) => !s.reason.startsWith('not written') && s.absent !== true)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
