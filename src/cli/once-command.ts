/**
 * `jobkit once KEY [options] -- command args...`: runs the program once per
 * key across retries and duplicate pods, on the job's idempotency ledger
 * (docs/exec.md).
 */
import { exitCodeFor } from '../runtime/exit-codes.ts';
import { executeOnce } from '../job/exec/execute-once.ts';
import { parseExecArgs } from './exec-args.ts';
import { ONCE_USAGE } from './usage.ts';

/**
 * Runs `jobkit once` with its argv (after the subcommand) and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await onceCommand(['migrate-v42', '--', './migrate.sh']);
 * ```
 */
export async function onceCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseExecArgs(argv);
  } catch (error) {
    process.stderr.write(`jobkit once: ${(error as Error).message}\n\n${ONCE_USAGE}`);
    return exitCodeFor('configuration');
  }
  if (parsed.help) {
    process.stdout.write(ONCE_USAGE);
    return 0;
  }
  const [key, ...extra] = parsed.positionals;
  if (key === undefined || extra.length > 0 || parsed.command === undefined) {
    process.stderr.write(`jobkit once: give one KEY, then the program after "--"\n\n${ONCE_USAGE}`);
    return exitCodeFor('configuration');
  }
  return await executeOnce(key, parsed.command, parsed.options);
}
