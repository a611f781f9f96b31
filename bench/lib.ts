/**
 * Shared benchmark harness. Each bench/<name>.bench.ts is a standalone script
 * (`node bench/<name>.bench.ts`) that measures jobkit against a baseline in the
 * same run and records the figures with {@link writeResults}; bench/run.ts runs
 * them all and writes bench/results/latest.json and bench/results/RESULTS.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

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
  /** Target the issue sets for the ratio, if any. */
  readonly target?: string;
  readonly note?: string;
}

/** Result file of one benchmark script. */
export interface BenchResult {
  readonly bench: string;
  readonly date: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memGiB: number; readonly node: string };
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

/** Write bench/results/<bench>.json and print the figures. */
export function writeResults(bench: string, figures: readonly BenchFigure[]): BenchResult {
  const result: BenchResult = {
    bench,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    figures,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${bench}.json`), `${JSON.stringify(result, null, 2)}\n`);
  for (const f of figures) {
    const base = f.baseline === undefined ? '' : ` vs ${f.baselineName ?? 'baseline'} ${round(f.baseline)} ${f.unit}`;
    const ratio = f.ratio === undefined ? '' : ` (ratio ${f.ratio}${f.target === undefined ? '' : `, target ${f.target}`})`;
    console.log(`${bench}: ${f.name}: ${round(f.value)} ${f.unit}${base}${ratio}`);
  }
  return result;
}
