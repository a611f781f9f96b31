/**
 * The settings of the attempt lineage: env forms (JOBKIT_ATTEMPTS_KEEP,
 * JOBKIT_QUARANTINE_AFTER), code forms (runJob's `attempts`), defaults. Code wins.
 */
import { type Env, checkOption, readInteger } from '../../runtime/config.ts';
import { ConfigurationError } from '../../runtime/errors.ts';
import { DEFAULT_ATTEMPTS_KEEP, DEFAULT_CLEAR_AFTER_MS, DEFAULT_QUARANTINE_AFTER } from './constants.ts';
import type { AttemptsOptions } from './types.ts';

/** The env forms of the lineage's options. */
export interface AttemptsEnvOptions {
  readonly keep?: number;
  readonly quarantineAfter?: number;
}

/**
 * Read JOBKIT_ATTEMPTS_KEEP and JOBKIT_QUARANTINE_AFTER.
 *
 * @throws ConfigurationError naming the variable and its value.
 * @example
 * ```ts
 * attemptsOptionsFromEnv({ JOBKIT_QUARANTINE_AFTER: '3' }); // { quarantineAfter: 3 }
 * ```
 */
export function attemptsOptionsFromEnv(env: Env): AttemptsEnvOptions {
  const keep = readInteger(env, 'JOBKIT_ATTEMPTS_KEEP', { min: 1 });
  const quarantineAfter = readInteger(env, 'JOBKIT_QUARANTINE_AFTER', { min: 1 });
  return { ...(keep === undefined ? {} : { keep }), ...(quarantineAfter === undefined ? {} : { quarantineAfter }) };
}

/** The lineage's settings in effect. */
export interface AttemptsSettings {
  readonly keep: number;
  readonly quarantineAfter: number;
  readonly clearAfterMs: number;
}

/**
 * The settings in effect: code options over env over defaults, checked.
 *
 * @throws ConfigurationError for a bad value, or `keep` below `quarantineAfter` (the crashes would be pruned before they count).
 * @example
 * ```ts
 * resolveAttemptsSettings({}, { keep: 5 }); // { keep: 5, quarantineAfter: 2, clearAfterMs: 1000 }
 * ```
 */
export function resolveAttemptsSettings(env: AttemptsEnvOptions, options: AttemptsOptions = {}): AttemptsSettings {
  const integer = (name: string, value: number | undefined, min: number): number | undefined =>
    checkOption(name, value, { min, integer: true, label: `attempts option ${name}`, plain: true });
  const keep = integer('keep', options.keep, 1) ?? env.keep ?? DEFAULT_ATTEMPTS_KEEP;
  const quarantineAfter = integer('quarantineAfter', options.quarantineAfter, 1) ?? env.quarantineAfter ?? DEFAULT_QUARANTINE_AFTER;
  const clearAfterMs = integer('clearAfterMs', options.clearAfterMs, 0) ?? DEFAULT_CLEAR_AFTER_MS;
  if (keep < quarantineAfter) {
    throw new ConfigurationError(
      `attempts: keep (${keep}) must be at least quarantineAfter (${quarantineAfter}): older crashes are pruned before they count (JOBKIT_ATTEMPTS_KEEP / JOBKIT_QUARANTINE_AFTER)`,
    );
  }
  return { keep, quarantineAfter, clearAfterMs };
}
