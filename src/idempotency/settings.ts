/**
 * Resolution of the settings of one call: call options over ledger options
 * over defaults, each validated, so that a bad value fails with a
 * ConfigurationError naming the option and the value.
 */
import { checkChoiceOption, checkOption } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import {
  DEFAULT_CLOCK_SKEW_MARGIN_MS,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_ON_IN_PROGRESS,
  DEFAULT_PERMANENT_ERRORS,
  DEFAULT_POLL_MAX_MS,
  DEFAULT_POLL_MIN_MS,
  DEFAULT_TTL_MS,
} from './constants.ts';
import type { IdempotencySettings, InProgressPolicy, PermanentErrorPolicy } from './types.ts';

/** The names of every setting (the keys of {@link IdempotencySettings}). */
export const SETTING_NAMES = [
  'leaseMs',
  'renewEveryMs',
  'clockSkewMarginMs',
  'ttlMs',
  'onInProgress',
  'maxWaitMs',
  'pollMinMs',
  'pollMaxMs',
  'permanentErrors',
  'maxResultBytes',
] as const satisfies readonly (keyof IdempotencySettings)[];

// Compile-time check that no setting was forgotten above: a per-call override
// of an unlisted setting would otherwise be silently ignored.
const _everySettingListed: [Exclude<keyof IdempotencySettings, (typeof SETTING_NAMES)[number]>] extends [never] ? true : never = true;

/** Every setting, resolved. */
export interface ResolvedSettings {
  readonly leaseMs: number;
  readonly renewEveryMs: number;
  readonly clockSkewMarginMs: number;
  readonly ttlMs: number;
  readonly onInProgress: InProgressPolicy;
  readonly maxWaitMs: number;
  readonly pollMinMs: number;
  readonly pollMaxMs: number;
  readonly permanentErrors: PermanentErrorPolicy;
  readonly maxResultBytes: number;
}

/**
 * Merge and validate settings (later sources win).
 *
 * @throws ConfigurationError naming the option and its bad value.
 * @example
 * ```ts
 * resolveSettings({ leaseMs: 30_000 }, { ttlMs: 3_600_000 }).renewEveryMs; // 10000
 * ```
 */
export function resolveSettings(...sources: readonly (IdempotencySettings | undefined)[]): ResolvedSettings {
  const pick = <K extends keyof IdempotencySettings>(name: K): IdempotencySettings[K] => {
    let value: IdempotencySettings[K] = undefined;
    for (const source of sources) if (source?.[name] !== undefined) value = source[name];
    return value;
  };
  const leaseMs = checkOption('leaseMs', pick('leaseMs'), { min: 1, integer: true }) ?? DEFAULT_LEASE_MS;
  const renewEveryMs = checkOption('renewEveryMs', pick('renewEveryMs'), { min: 1 }) ?? Math.max(1, Math.floor(leaseMs / 3));
  if (renewEveryMs >= leaseMs) {
    throw new ConfigurationError(`option renewEveryMs must be below leaseMs (${leaseMs}), got ${renewEveryMs}`);
  }
  const ttl = pick('ttlMs');
  const ttlMs = ttl === Infinity ? Infinity : (checkOption('ttlMs', ttl, { min: 1, integer: true }) ?? DEFAULT_TTL_MS);
  const pollMinMs = checkOption('pollMinMs', pick('pollMinMs'), { min: 1 }) ?? DEFAULT_POLL_MIN_MS;
  const pollMaxMs = checkOption('pollMaxMs', pick('pollMaxMs'), { min: pollMinMs }) ?? Math.max(pollMinMs, DEFAULT_POLL_MAX_MS);
  return {
    leaseMs,
    renewEveryMs,
    clockSkewMarginMs: checkOption('clockSkewMarginMs', pick('clockSkewMarginMs'), { min: 0 }) ?? DEFAULT_CLOCK_SKEW_MARGIN_MS,
    ttlMs,
    onInProgress: checkChoiceOption('onInProgress', pick('onInProgress'), ['wait', 'fail']) ?? DEFAULT_ON_IN_PROGRESS,
    maxWaitMs: checkOption('maxWaitMs', pick('maxWaitMs'), { min: 0 }) ?? DEFAULT_MAX_WAIT_MS,
    pollMinMs,
    pollMaxMs,
    permanentErrors: checkChoiceOption('permanentErrors', pick('permanentErrors'), ['release', 'record']) ?? DEFAULT_PERMANENT_ERRORS,
    maxResultBytes: checkOption('maxResultBytes', pick('maxResultBytes'), { min: 1, integer: true }) ?? DEFAULT_MAX_RESULT_BYTES,
  };
}

