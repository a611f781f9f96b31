/**
 * Shared benchmark harness. Each bench/<name>.bench.ts is a standalone script
 * (`node bench/<name>.bench.ts`) that measures jobkit against a baseline in the
 * same run and records the figures with {@link writeResults}; bench/run.ts runs
 * them all and writes bench/results/latest.json and bench/results/RESULTS.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

// MinIO is the benchmarks' S3 server (issue 20): a fast server, so that the
// figures show jobkit's cost rather than the server's. bench/run.ts runs the S3
// benchmarks a second time on moto (JOBKIT_TEST_S3=moto) for the second column.
process.env.JOBKIT_TEST_S3 ??= 'minio';

/**
 * The S3 server the test setup started (or was given): "MinIO <pinned version>"
 * or "moto". Call after services' setup().
 */
export function s3Server(): string {
  const kind = process.env.JOBKIT_TEST_S3_KIND ?? process.env.JOBKIT_TEST_S3 ?? 'moto';
  if (kind !== 'minio') return kind;
  const versions = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'minio', 'versions.sh'), 'utf8');
  return `MinIO ${/^JOBKIT_MINIO_VERSION=(\S+)$/m.exec(versions)?.[1] ?? '?'}`;
}

/** True when this run is the moto second column (bench/run.ts sets JOBKIT_BENCH_COLUMN=moto). */
export function motoColumn(): boolean {
  return process.env.JOBKIT_BENCH_COLUMN === 'moto';
}

/** The current 1-minute load average, rounded. */
export function load(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

/** One measured figure, with its baseline from the same run. */
export interface BenchFigure {
  /** What was measured, e.g. "save 256 MiB". */
  readonly name: string;
  /** jobkit's figure. */
  readonly value: number;
  /** Unit of value and baseline, e.g. "MB/s", "ms", "ops/s". */
  readonly unit: string;
  /** The baseline's figure in the same unit (raw SDK, bare loop...). */
  readonly baseline?: number;
  /** What the baseline is. */
  readonly baselineName?: string;
  /**
   * value/baseline oriented so that > 1 means jobkit is better
   * (for "lower is better" units, baseline/value).
   */
  readonly ratio?: number;
  /**
   * Identity of the figure across the MinIO and moto runs when its name holds
   * a size that differs between them (default: the name).
   */
  readonly key?: string;
  /** Target the issue sets for the ratio, if any. */
  readonly target?: string;
  /** Whether the target is met, when `target` is not a plain `>= x` on the ratio (which bench/run.ts checks itself). */
  readonly met?: boolean;
  /** The S3 server the figure was measured on (see {@link s3Server}); absent for figures that use none. */
  readonly server?: string;
  /** 1-minute load average when the figure was taken (writeResults fills it in when absent). */
  readonly load?: number;
  readonly note?: string;
}

/** Result file of one benchmark script. */
export interface BenchResult {
  readonly bench: string;
  readonly date: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memGiB: number; readonly node: string };
  /** The S3 server of the run (JOBKIT_TEST_S3_KIND), when the benchmark started one. */
  readonly server?: string;
  readonly figures: readonly BenchFigure[];
}

/**
 * The ratio of a figure where higher is better (throughput).
 *
 * @example
 * ```ts
 * higherIsBetter(950, 1000); // 0.95
 * ```
 */
export function higherIsBetter(value: number, baseline: number): number {
  return round(value / baseline);
}

/** The ratio of a figure where lower is better (latency, time, bytes). */
export function lowerIsBetter(value: number, baseline: number): number {
  return round(baseline / value);
}

/** Round to 3 significant decimals for reports. */
export function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Milliseconds since an hrtime.bigint() start. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Write bench/results/<bench>.json (<bench>.moto.json for the moto column) and
 * print the figures; a figure without `load` gets the load average now.
 */
export function writeResults(bench: string, measured: readonly BenchFigure[]): BenchResult {
  const now = load();
  const figures = measured.map((f) => ({ ...f, load: f.load ?? now }));
  const result: BenchResult = {
    bench,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    ...(process.env.JOBKIT_TEST_S3_KIND === undefined ? {} : { server: s3Server() }),
    figures,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${bench}${motoColumn() ? '.moto' : ''}.json`), `${JSON.stringify(result, null, 2)}\n`);
  for (const f of figures) {
    const base = f.baseline === undefined ? '' : ` vs ${f.baselineName ?? 'baseline'} ${round(f.baseline)} ${f.unit}`;
    const ratio = f.ratio === undefined ? '' : ` (ratio ${f.ratio}${f.target === undefined ? '' : `, target ${f.target}`})`;
    console.log(`${bench}${motoColumn() ? ' (moto)' : ''}: ${f.name}: ${round(f.value)} ${f.unit}${base}${ratio}`);
  }
  return result;
}
