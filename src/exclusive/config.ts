/**
 * The environment form of the guard's options (code wins):
 *
 * | variable | option |
 * |---|---|
 * | JOBKIT_EXCLUSIVE_WAIT_MS | `waitMs` |
 * | JOBKIT_EXCLUSIVE_LEASE_MS | `leaseMs` |
 */
import { type Env, readInteger } from '../runtime/config.ts';
import type { ExclusiveOptions } from './guard.ts';

/**
 * The guard options set by the environment.
 *
 * @throws ConfigurationError naming the variable.
 * @example
 * ```ts
 * exclusiveOptionsFromEnv({ JOBKIT_EXCLUSIVE_WAIT_MS: '5000' }); // { waitMs: 5000 }
 * ```
 */
export function exclusiveOptionsFromEnv(env: Env): Pick<ExclusiveOptions, 'waitMs' | 'leaseMs'> {
  const waitMs = readInteger(env, 'JOBKIT_EXCLUSIVE_WAIT_MS', { min: 0 });
  const leaseMs = readInteger(env, 'JOBKIT_EXCLUSIVE_LEASE_MS', { min: 1_000 });
  return { ...(waitMs === undefined ? {} : { waitMs }), ...(leaseMs === undefined ? {} : { leaseMs }) };
}
