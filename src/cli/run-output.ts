/**
 * What `jobkit run` prints and returns: the exit statuses, the final objects
 * for `-o`, the summary line, and how an error of a run becomes a status.
 */
import { stringify } from 'yaml';
import type { ChaosSpec } from '../local/chaos.ts';
import type { LocalJobResult, Suspension } from '../local/emulator.ts';
import { InvalidManifestError } from '../local/errors.ts';
import { INTERRUPTED_EXIT } from './interrupt.ts';

/** Exit status of `jobkit run`. */
export const RUN_EXIT = { complete: 0, failed: 1, usage: 2 } as const;

/** The `jobkit run` options every backend and manifest kind takes. */
export interface CommonRunOptions {
  readonly output: 'json' | 'yaml' | undefined;
  readonly backoffScale: number | undefined;
  readonly seed: number | undefined;
  readonly chaos: ChaosSpec;
  readonly chaosMaxDelayMs: number | undefined;
  /** Job manifests only (refused for a CronJob before this is used). */
  readonly suspension: Suspension;
}

/** Formats the final Job for `-o`. */
export function formatJob(job: object, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(job, null, 2)}\n` : stringify(job, { aliasDuplicateObjects: false });
}

/** The one-line summary of a finished Job: `Complete: succeeded 3, failed 1, chaos applied 2, skipped 0`. */
export function jobSummary(result: LocalJobResult): string {
  const s = result.job.status ?? {};
  const chaos = result.chaosApplied.length + result.chaosSkipped === 0 ? '' : `, chaos applied ${result.chaosApplied.length}, skipped ${result.chaosSkipped}`;
  return `${result.outcome}: succeeded ${s.succeeded ?? 0}, failed ${s.failed ?? 0}${chaos}`;
}

/** The exit status for an error of a run: 2 for a refused manifest, 130 after an interrupt; anything else is a bug and is rethrown. */
export function reportRunError(err: unknown, signal: AbortSignal): number {
  if (err instanceof InvalidManifestError) {
    process.stderr.write(`jobkit run: ${err.message}\n`);
    return RUN_EXIT.usage;
  }
  if (signal.aborted) {
    process.stderr.write(`jobkit run: ${(err as Error).message}; every pod was killed\n`);
    return INTERRUPTED_EXIT;
  }
  throw err;
}
