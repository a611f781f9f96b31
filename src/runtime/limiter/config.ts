/** The env form of the limiter's settings. */
import { type Env, readInteger } from '../config.ts';

/**
 * The limiter settings read from the environment.
 *
 * @example
 * ```ts
 * const { parallelism } = limiterOptionsFromEnv(process.env);
 * ```
 */
export interface LimiterEnvOptions {
  /** JOBKIT_PARALLELISM: how many pods of the Job run at once (its `spec.parallelism`). */
  readonly parallelism: number | undefined;
}

/**
 * Read JOBKIT_PARALLELISM (an integer >= 1), the Job's `spec.parallelism`,
 * which a `scope: 'job'` limiter splits its budget by.
 *
 * @throws ConfigurationError `JOBKIT_PARALLELISM must be an integer >= 1, got "0"`.
 * @example
 * ```ts
 * limiterOptionsFromEnv({ JOBKIT_PARALLELISM: '4' }); // { parallelism: 4 }
 * ```
 */
export function limiterOptionsFromEnv(env: Env): LimiterEnvOptions {
  return { parallelism: readInteger(env, 'JOBKIT_PARALLELISM', { min: 1 }) };
}
