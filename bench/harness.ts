/**
 * The benchmark harness: a warm-up, then N measured runs of each subject (a subject is what is
 * measured: the project's code or a baseline run alongside it), median/min/max per subject, a
 * ratio against a baseline measured in the same process and the same run, one JSON line per
 * benchmark on stdout, and a table at the end (see run.ts).
 *
 * Sizes scale with BENCH_SCALE (default 1; 0.1 for a quick run); runs with BENCH_RUNS (default
 * 5, never fewer); warm-ups with BENCH_WARMUP (default 1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SCALE = positiveNumber('BENCH_SCALE', 1);
export const RUNS = Math.max(5, Math.round(positiveNumber('BENCH_RUNS', 5)));
export const WARMUP = Math.max(1, Math.round(positiveNumber('BENCH_WARMUP', 1)));

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number, got ${raw}`);
  return value;
}

/** `n` scaled by BENCH_SCALE, at least `min`. */
export function scaled(n: number, min = 1): number {
  return Math.max(min, Math.round(n * SCALE));
}

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number[];
}

export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: [...values] };
}

/** The `q` quantile (0..1) of `values`, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** A subject of a benchmark: one run returns one value per metric it measures (ms, events/s, …). */
export type RunFn = (run: number) => Promise<Record<string, number>>;

export interface SubjectResult {
  readonly name: string;
  readonly metrics: Record<string, Stats>;
}

/**
 * Runs each subject WARMUP times unmeasured, then RUNS times measured, interleaving subjects
 * run by run so slow drift of the machine (page cache, thermal) hits them alike.
 */
export async function measure(subjects: Record<string, RunFn>, options: { log?: (line: string) => void } = {}): Promise<Record<string, SubjectResult>> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const names = Object.keys(subjects);
  const samples: Record<string, Record<string, number[]>> = Object.fromEntries(names.map((n) => [n, {}]));
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const warm = i < WARMUP;
    for (const name of names) {
      const values = await subjects[name]!(i);
      log(`  ${warm ? 'warm-up' : `run ${i - WARMUP + 1}/${RUNS}`} ${name}: ${Object.entries(values).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}`);
      if (warm) continue;
      for (const [metric, value] of Object.entries(values)) (samples[name]![metric] ??= []).push(value);
    }
  }
  return Object.fromEntries(
    names.map((name) => [name, { name, metrics: Object.fromEntries(Object.entries(samples[name]!).map(([m, v]) => [m, stats(v)])) }]),
  );
}

/** One line of the report: a figure of the project, its baseline, the ratio and the target. */
export interface Row {
  readonly metric: string;
  readonly unit: string;
  readonly value: Stats;
  readonly baselineName?: string;
  readonly baseline?: Stats;
  /** value.median / baseline.median (for a lower-is-better time) or as the target defines it. */
  readonly ratio?: number;
  readonly target?: string;
  readonly met?: boolean;
}

export interface BenchReport {
  readonly benchmark: string;
  readonly title: string;
  readonly scale: number;
  readonly runs: number;
  readonly sizes: Record<string, number | string>;
  readonly subjects: Record<string, SubjectResult>;
  readonly rows: Row[];
  readonly notes?: string[];
  /** Set when the benchmark could not run here (a missing system component): why, in one line. */
  readonly skipped?: string;
}

export interface Benchmark {
  readonly name: string;
  readonly title: string;
  run(): Promise<BenchReport>;
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `sync-bench-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const now = (): number => performance.now();

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** Rejects after `ms` with `what` in the message: every wait of a benchmark is bounded. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** Polls `check` every `everyMs` until it is true or `ms` passed. */
export async function until(check: () => boolean, ms: number, what: string, everyMs = 5): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function printTable(reports: readonly BenchReport[], skipped: readonly { name: string; reason: string }[]): string {
  const header = ['benchmark', 'metric', 'median', 'min', 'max', 'baseline', 'baseline median', 'ratio', 'target', 'met'];
  const lines: string[][] = [];
  for (const r of reports) {
    for (const row of r.rows) {
      lines.push([
        r.benchmark,
        `${row.metric} (${row.unit})`,
        fmt(row.value.median),
        fmt(row.value.min),
        fmt(row.value.max),
        row.baselineName ?? '—',
        row.baseline === undefined ? '—' : fmt(row.baseline.median),
        row.ratio === undefined ? '—' : `${row.ratio.toFixed(2)}×`,
        row.target ?? '—',
        row.met === undefined ? '—' : row.met ? 'yes' : 'NO',
      ]);
    }
  }
  for (const s of skipped) lines.push([s.name, `skipped: ${s.reason}`, '', '', '', '', '', '', '', '']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}
