/**
 * `jobkit exec [options] -- command args...`: runs a program in any language
 * as a supervised child with jobkit's identity, signals, deadline, exit
 * codes, logs, metrics and traces (docs/exec.md).
 */
import { exitCodeFor } from '../runtime/exit-codes.ts';
import { executeCommand } from '../job/exec/execute-command.ts';
import { parseExecArgs } from './exec-args.ts';
import { EXEC_USAGE } from './usage.ts';

/**
 * Runs `jobkit exec` with its argv (after the subcommand) and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await execCommand(['--', 'python', 'etl.py']);
 * ```
 */
export async function execCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseExecArgs(argv);
  } catch (error) {
    process.stderr.write(`jobkit exec: ${(error as Error).message}\n\n${EXEC_USAGE}`);
    return exitCodeFor('configuration');
  }
  if (parsed.help) {
    process.stdout.write(EXEC_USAGE);
    return 0;
  }
  if (parsed.command === undefined || parsed.positionals.length > 0) {
    process.stderr.write(`jobkit exec: give the program after "--"\n\n${EXEC_USAGE}`);
    return exitCodeFor('configuration');
  }
  return await executeCommand(parsed.command, parsed.options);
}
