/**
 * `jobkit once KEY -- cmd` as a function: the program runs under the job's
 * idempotency ledger, once per key across retries and duplicate pods. A
 * replay logs "already done at <time>" and exits 0 without running it; a
 * failure is recorded or released by the ledger's rules (a permanent exit,
 * 65, is recorded and replayed as that failure; a retryable or crash exit
 * releases the key for the next attempt).
 */
import { superviseJob } from './execute-command.ts';
import type { ChildCommand } from './run-child.ts';
import type { ExecOptions } from './types.ts';

/** What the ledger records for a command that succeeded. */
export interface OnceRecord {
  readonly exitCode: 0;
  /** When the command finished (ISO 8601). */
  readonly completedAt: string;
}

/**
 * Run `command` once per `key`, and resolve with the supervisor's exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await executeOnce('migrate-2026-12', { command: './migrate.sh', args: [] });
 * ```
 */
export async function executeOnce(key: string, cmd: ChildCommand, options: ExecOptions = {}): Promise<number> {
  return await superviseJob(options, async (job, run) => {
    const outcome = await job.idempotency.runDetailed<OnceRecord>(
      key,
      async () => {
        await run(cmd);
        return { exitCode: 0, completedAt: new Date().toISOString() };
      },
      { signal: job.signal },
    );
    if (outcome.replayed) job.log.info({ key, completedAt: outcome.value.completedAt }, `${key}: already done at ${outcome.value.completedAt}`);
  });
}
