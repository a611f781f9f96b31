/**
 * The env form of the idempotency ledger's options (12-factor: set by the
 * generated manifest or the platform team; options in code win). A bad value
 * is a ConfigurationError naming the variable and the value.
 *
 * | variable | option |
 * |---|---|
 * | JOBKIT_IDEMPOTENCY_SCOPE | `scope` (shared across Jobs, e.g. a CronJob's runs) |
 * | JOBKIT_IDEMPOTENCY_LEASE_SECONDS | `leaseMs` |
 * | JOBKIT_IDEMPOTENCY_TTL_SECONDS | `ttlMs` (`0` is refused; omit for the default) |
 * | JOBKIT_IDEMPOTENCY_ON_IN_PROGRESS | `onInProgress` (`wait`, `fail`) |
 * | JOBKIT_IDEMPOTENCY_MAX_WAIT_SECONDS | `maxWaitMs` |
 * | JOBKIT_IDEMPOTENCY_PERMANENT_ERRORS | `permanentErrors` (`release`, `record`) |
 * | JOBKIT_IDEMPOTENCY_CLOCK_SKEW_SECONDS | `clockSkewMarginMs` |
 */
import { type Env, readChoice, readNumber, readString } from '../runtime/config.ts';
import type { IdempotencyOptions } from './types.ts';

/** The options that have an env form. */
export type IdempotencyEnvOptions = Pick<
  IdempotencyOptions,
  'scope' | 'leaseMs' | 'ttlMs' | 'onInProgress' | 'maxWaitMs' | 'permanentErrors' | 'clockSkewMarginMs'
>;

const ms = (seconds: number | undefined): number | undefined => (seconds === undefined ? undefined : Math.round(seconds * 1000));

/**
 * Read the ledger's options from the environment; absent variables are left
 * out so that the defaults (or options given in code) apply.
 *
 * @example
 * ```ts
 * const ledger = createIdempotency({ ...idempotencyOptionsFromEnv(process.env), store, identity });
 * ```
 */
export function idempotencyOptionsFromEnv(env: Env): IdempotencyEnvOptions {
  const found: { -readonly [K in keyof IdempotencyEnvOptions]: IdempotencyEnvOptions[K] } = {
    scope: readString(env, 'JOBKIT_IDEMPOTENCY_SCOPE'),
    leaseMs: ms(readNumber(env, 'JOBKIT_IDEMPOTENCY_LEASE_SECONDS', { min: 0, minExclusive: true })),
    ttlMs: ms(readNumber(env, 'JOBKIT_IDEMPOTENCY_TTL_SECONDS', { min: 0, minExclusive: true })),
    onInProgress: readChoice(env, 'JOBKIT_IDEMPOTENCY_ON_IN_PROGRESS', ['wait', 'fail'] as const),
    maxWaitMs: ms(readNumber(env, 'JOBKIT_IDEMPOTENCY_MAX_WAIT_SECONDS', { min: 0 })),
    permanentErrors: readChoice(env, 'JOBKIT_IDEMPOTENCY_PERMANENT_ERRORS', ['release', 'record'] as const),
    clockSkewMarginMs: ms(readNumber(env, 'JOBKIT_IDEMPOTENCY_CLOCK_SKEW_SECONDS', { min: 0 })),
  };
  // Absent variables must not override options given in code with `undefined`.
  return Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined));
}
