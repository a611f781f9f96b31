/**
 * The options of a rate limiter, their checks, and the Job-wide split rule:
 * how a `scope: 'job'` budget becomes one pod's rate.
 */
import { ConfigurationError } from '../errors.ts';
import { checkChoiceOption, checkOption } from '../config.ts';
import { DEFAULT_LIMITER_BURST, DEFAULT_LIMITER_MIN_RATE_FRACTION, LIMITER_NAME_PATTERN } from './constants.ts';

/**
 * Who shares a limiter's budget: this pod alone, or every pod of the Job running at once.
 *
 * @example
 * ```ts
 * const scope: LimiterScope = 'job';
 * ```
 */
export type LimiterScope = 'pod' | 'job';

/**
 * Every {@link LimiterScope}.
 *
 * @example
 * ```ts
 * LIMITER_SCOPES.includes('job'); // true
 * ```
 */
export const LIMITER_SCOPES: readonly LimiterScope[] = ['pod', 'job'];

/**
 * Options of `job.limiter(name, options)`.
 *
 * @example
 * ```ts
 * const api = job.limiter('api', { ratePerSecond: 20, scope: 'job' }); // 20/s across the whole Job
 * ```
 */
export interface LimiterOptions {
  /** Requests (tokens) per second: this pod's with `scope: 'pod'`, the whole Job's with `scope: 'job'`. Required, > 0. */
  readonly ratePerSecond: number;
  /**
   * Tokens a bucket holds at most (the most one `acquire(n)` may ask for);
   * with `scope: 'job'` the Job's, split like the rate, at least 1 per pod.
   * @default {@link DEFAULT_LIMITER_BURST} (1 per pod)
   */
  readonly burst?: number;
  /**
   * `pod`: the rate is this pod's. `job`: the rate is the Job's, split evenly
   * across the pods that run at once (see {@link podShare}).
   * @default 'pod'
   */
  readonly scope?: LimiterScope;
  /**
   * How many pods of the Job run at once, for `scope: 'job'`: the Job's
   * `spec.parallelism`. Env: JOBKIT_PARALLELISM. Without either, every index
   * is assumed to run at once (`identity.count`), which is right when
   * parallelism >= completions and safe (slower) otherwise.
   */
  readonly parallelism?: number;
  /**
   * The floor the adaptive rate never goes below (this pod's, after the split).
   * @default the pod's rate × {@link DEFAULT_LIMITER_MIN_RATE_FRACTION} (5 %)
   */
  readonly minRatePerSecond?: number;
}

/**
 * A limiter's options after the split: what one pod's bucket runs on.
 *
 * @example
 * ```ts
 * const { ratePerSecond, sharedBy } = job.limiter('api', { ratePerSecond: 20, scope: 'job' }).limit;
 * ```
 */
export interface PodLimit {
  /** This pod's configured rate, tokens per second. */
  readonly ratePerSecond: number;
  /** This pod's bucket size. */
  readonly burst: number;
  /** The adaptive rate's floor. */
  readonly minRatePerSecond: number;
  /** How many pods share the budget (1 for `scope: 'pod'`). */
  readonly sharedBy: number;
}

/**
 * Refuse a name that cannot be a low-cardinality metric label.
 *
 * @throws ConfigurationError naming the name and the rule.
 * @example
 * ```ts
 * checkLimiterName('api');          // ok
 * checkLimiterName('user/42 calls'); // throws
 * ```
 */
export function checkLimiterName(name: string): string {
  if (typeof name !== 'string' || !LIMITER_NAME_PATTERN.test(name)) {
    throw new ConfigurationError(
      `limiter name must be a short label (a letter, then up to 63 letters, digits, '_', '.', ':' or '-'; it is a metric label: 'api', not a URL or an id), got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/**
 * Check a limiter's options and compute this pod's share. The Job-wide split
 * rule (`scope: 'job'`): the pods running at once are `min(count,
 * parallelism)` (parallelism from the option, else JOBKIT_PARALLELISM, else
 * `count`), and each gets `ratePerSecond / running` and `max(1, burst /
 * running)` tokens, so together they never exceed the Job's budget.
 *
 * @throws ConfigurationError `limiter api option ratePerSecond must be a number > 0, got 0`.
 * @example
 * ```ts
 * podShare('api', { ratePerSecond: 20, scope: 'job' }, { count: 10, parallelism: 4 });
 * // { ratePerSecond: 5, burst: 1, minRatePerSecond: 0.25, sharedBy: 4 }
 * ```
 */
export function podShare(name: string, options: LimiterOptions, job: { readonly count: number; readonly parallelism?: number | undefined }): PodLimit {
  const label = (option: string): string => `limiter ${name} option ${option}`;
  if (typeof options !== 'object' || options === null) throw new ConfigurationError(`limiter ${name}: options must be an object with ratePerSecond, got ${String(options)}`);
  const rate = checkOption('ratePerSecond', options.ratePerSecond, { min: 0, minExclusive: true, required: true, plain: true, label: label('ratePerSecond') }) ?? 0;
  const burst = checkOption('burst', options.burst, { min: 1, plain: true, label: label('burst') });
  const scope = checkChoiceOption('scope', options.scope, LIMITER_SCOPES, { label: label('scope') }) ?? 'pod';
  const parallelism = checkOption('parallelism', options.parallelism, { min: 1, integer: true, plain: true, label: label('parallelism') }) ?? job.parallelism;
  const sharedBy = scope === 'pod' ? 1 : Math.max(1, Math.min(job.count, parallelism ?? job.count));
  const podRate = rate / sharedBy;
  const podBurst = burst === undefined ? DEFAULT_LIMITER_BURST : Math.max(1, burst / sharedBy);
  const floor = checkOption('minRatePerSecond', options.minRatePerSecond, { min: 0, minExclusive: true, plain: true, label: label('minRatePerSecond') });
  if (floor !== undefined && floor > podRate) {
    throw new ConfigurationError(`${label('minRatePerSecond')} must be at most the pod's rate (${podRate}/s${sharedBy > 1 ? `, ${rate}/s shared by ${sharedBy} pods` : ''}), got ${floor}`);
  }
  return { ratePerSecond: podRate, burst: podBurst, minRatePerSecond: floor ?? podRate * DEFAULT_LIMITER_MIN_RATE_FRACTION, sharedBy };
}
