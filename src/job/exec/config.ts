/**
 * The env form of the supervisor's options:
 *
 * | variable | option |
 * |---|---|
 * | JOBKIT_EXEC_SIGNAL_TO | `signalTo` (`group`, `child`) |
 * | JOBKIT_EXEC_LOGS | `logs` (`json`, `raw`) |
 * | JOBKIT_EXEC_PASS_EXIT_CODES | `passExitCodes` (`true`, `false`) |
 * | JOBKIT_EXEC_CGROUP_DIR | `cgroupDir` |
 * | JOBKIT_EXEC_MAX_LINE_CHARS | `maxLineChars` (at least 1 024) |
 * | JOBKIT_EXEC_CHECKPOINT_DIR | `checkpointDir` |
 * | JOBKIT_EXEC_CHECKPOINT_EVERY | `checkpointEverySeconds` (seconds, `0`: only on request) |
 */
import { resolve } from 'node:path';
import { type Env, checkChoiceOption, checkOption, readChoice, readInteger, readNumber, readString } from '../../runtime/config.ts';
import { ConfigurationError } from '../../runtime/errors.ts';
import { DEFAULT_CGROUP_DIR, DEFAULT_CHECKPOINT_EVERY_SECONDS, DEFAULT_MAX_LINE_CHARS, LOG_MODES, SIGNAL_TARGETS } from './constants.ts';
import type { ExecOptions, LogMode, SignalTarget } from './types.ts';

/** The smallest line bound: below it a JSON line of a few fields would be split. */
const MIN_LINE_CHARS = 1_024;

/** Every supervisor option resolved: code, else env, else the default. */
export interface ExecSettings {
  readonly signalTo: SignalTarget;
  readonly logs: LogMode;
  readonly passExitCodes: boolean;
  readonly cgroupDir: string;
  readonly maxLineChars: number;
  /** Absolute; undefined: no directory checkpoint. */
  readonly checkpointDir: string | undefined;
  readonly checkpointEverySeconds: number;
}

/**
 * The supervisor's options read from env (a bad value is a ConfigurationError naming the variable).
 *
 * @example
 * ```ts
 * execOptionsFromEnv({ JOBKIT_EXEC_SIGNAL_TO: 'child' }); // { signalTo: 'child' }
 * ```
 */
export function execOptionsFromEnv(env: Env): Pick<ExecOptions, keyof ExecSettings> {
  const signalTo = readChoice(env, 'JOBKIT_EXEC_SIGNAL_TO', SIGNAL_TARGETS);
  const logs = readChoice(env, 'JOBKIT_EXEC_LOGS', LOG_MODES);
  const pass = readChoice(env, 'JOBKIT_EXEC_PASS_EXIT_CODES', ['true', 'false'] as const);
  const cgroupDir = readString(env, 'JOBKIT_EXEC_CGROUP_DIR');
  const maxLineChars = readInteger(env, 'JOBKIT_EXEC_MAX_LINE_CHARS', { min: MIN_LINE_CHARS });
  const checkpointDir = readString(env, 'JOBKIT_EXEC_CHECKPOINT_DIR');
  if (checkpointDir !== undefined) checkDirPath('JOBKIT_EXEC_CHECKPOINT_DIR', checkpointDir);
  const checkpointEverySeconds = readNumber(env, 'JOBKIT_EXEC_CHECKPOINT_EVERY', { min: 0 });
  return {
    ...(signalTo === undefined ? {} : { signalTo }),
    ...(logs === undefined ? {} : { logs }),
    ...(pass === undefined ? {} : { passExitCodes: pass === 'true' }),
    ...(cgroupDir === undefined ? {} : { cgroupDir }),
    ...(maxLineChars === undefined ? {} : { maxLineChars }),
    ...(checkpointDir === undefined ? {} : { checkpointDir }),
    ...(checkpointEverySeconds === undefined ? {} : { checkpointEverySeconds }),
  };
}

/**
 * Refuse a checkpoint directory that cannot be restored by renaming a sibling
 * into place: the root, or a path ending in `.` or `..`.
 *
 * @throws ConfigurationError naming `name`.
 * @example
 * ```ts
 * checkDirPath('--checkpoint-dir', '/'); // throws
 * ```
 */
export function checkDirPath(name: string, path: string): string {
  const abs = resolve(path);
  const last = path.replace(/\/+$/, '').split('/').pop();
  if (abs === '/' || path.trim() === '' || last === '.' || last === '..') {
    throw new ConfigurationError(`${name} must name a directory below /, not ${JSON.stringify(path)}`);
  }
  return abs;
}

/**
 * Resolve the supervisor's options: code wins over env, env over the default.
 *
 * @example
 * ```ts
 * resolveExecSettings({}, { logs: 'raw' }).logs; // 'raw'
 * ```
 */
export function resolveExecSettings(env: Env, options: ExecOptions): ExecSettings {
  const fromEnv = execOptionsFromEnv(env);
  const dir = options.checkpointDir ?? fromEnv.checkpointDir;
  return {
    signalTo: checkChoiceOption('signalTo', options.signalTo, SIGNAL_TARGETS) ?? fromEnv.signalTo ?? 'group',
    logs: checkChoiceOption('logs', options.logs, LOG_MODES) ?? fromEnv.logs ?? 'json',
    passExitCodes: options.passExitCodes ?? fromEnv.passExitCodes ?? false,
    cgroupDir: options.cgroupDir ?? fromEnv.cgroupDir ?? DEFAULT_CGROUP_DIR,
    maxLineChars: checkOption('maxLineChars', options.maxLineChars, { integer: true, min: MIN_LINE_CHARS }) ?? fromEnv.maxLineChars ?? DEFAULT_MAX_LINE_CHARS,
    checkpointDir: dir === undefined ? undefined : checkDirPath(options.checkpointDir === undefined ? 'JOBKIT_EXEC_CHECKPOINT_DIR' : 'option checkpointDir', dir),
    checkpointEverySeconds:
      checkOption('checkpointEverySeconds', options.checkpointEverySeconds, { min: 0 }) ?? fromEnv.checkpointEverySeconds ?? DEFAULT_CHECKPOINT_EVERY_SECONDS,
  };
}
