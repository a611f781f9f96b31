/**
 * The arguments `jobkit exec` and `jobkit once` share: the supervisor's
 * options before `--`, the command and its arguments after it.
 */
import { parseArgs } from 'node:util';
import { parseChoice, parseInteger, parseNumber } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { checkDirPath } from '../job/exec/config.ts';
import { LOG_MODES, SIGNAL_TARGETS } from '../job/exec/constants.ts';
import type { ChildCommand } from '../job/exec/run-child.ts';
import type { ExecOptions } from '../job/exec/types.ts';

/** What the command line asked for. */
export interface ExecArgs {
  readonly help: boolean;
  readonly options: ExecOptions;
  /** The positionals before `--` (`jobkit once` takes its key there). */
  readonly positionals: readonly string[];
  readonly command: ChildCommand | undefined;
}

/**
 * Parse `[options] [positionals] -- command args...`.
 *
 * @throws ConfigurationError naming the flag (the command exits 78: a Job whose command line is wrong fails the same on every index).
 * @example
 * ```ts
 * parseExecArgs(['--signal-to', 'child', '--', 'python', 'etl.py']).command; // { command: 'python', args: ['etl.py'] }
 * ```
 */
export function parseExecArgs(argv: readonly string[]): ExecArgs {
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  const rest = split === -1 ? [] : argv.slice(split + 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...own],
      options: {
        'signal-to': { type: 'string' },
        logs: { type: 'string' },
        'pass-exit-codes': { type: 'boolean' },
        'cgroup-dir': { type: 'string' },
        'max-line-chars': { type: 'string' },
        'checkpoint-dir': { type: 'string' },
        'checkpoint-every': { type: 'string' },
        'grace-period': { type: 'string' },
        deadline: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new ConfigurationError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const options: ExecOptions = {
    ...(values['signal-to'] === undefined ? {} : { signalTo: parseChoice('--signal-to', values['signal-to'], SIGNAL_TARGETS) }),
    ...(values.logs === undefined ? {} : { logs: parseChoice('--logs', values.logs, LOG_MODES) }),
    ...(values['pass-exit-codes'] === true ? { passExitCodes: true } : {}),
    ...(values['cgroup-dir'] === undefined ? {} : { cgroupDir: values['cgroup-dir'] }),
    ...(values['max-line-chars'] === undefined ? {} : { maxLineChars: parseInteger('--max-line-chars', values['max-line-chars'], { min: 1_024 }) }),
    ...(values['grace-period'] === undefined ? {} : { gracePeriodSeconds: parseInteger('--grace-period', values['grace-period'], { min: 1 }) }),
    ...(values.deadline === undefined ? {} : { deadlineSeconds: parseInteger('--deadline', values.deadline, { min: 1 }) }),
    ...(values['checkpoint-dir'] === undefined ? {} : { checkpointDir: checkDirPath('--checkpoint-dir', values['checkpoint-dir']) }),
    ...(values['checkpoint-every'] === undefined
      ? {}
      : { checkpointEverySeconds: parseNumber('--checkpoint-every', values['checkpoint-every'], { min: 0 }) }),
  };
  const [command, ...args] = rest;
  return { help: values.help === true, options, positionals, command: command === undefined ? undefined : { command, args } };
}
