/**
 * `job.limiter(name, options)`: one rate limiter per name for the run, its
 * share of a Job-wide budget computed from the identity and the Job's
 * parallelism, its waits stopped by the job's signal, and its waits,
 * throttles and rate recorded in the job's metrics.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import { MAX_LIMITERS } from '../runtime/limiter/constants.ts';
import { createRateLimiter, type RateLimiter } from '../runtime/limiter/limiter.ts';
import { checkLimiterName, type LimiterOptions, podShare } from '../runtime/limiter/options.ts';
import type { JobIdentity, JobLogger } from '../runtime/types.ts';
import type { JobMetrics } from '../telemetry/metrics.ts';

/**
 * What {@link createLimiters} needs from the run.
 *
 * @example
 * ```ts
 * const deps: LimitersDeps = { identity, log, signal: lifecycle.signal, metrics, parallelism: undefined };
 * ```
 */
export interface LimitersDeps {
  readonly identity: JobIdentity;
  readonly log: JobLogger;
  readonly signal: AbortSignal;
  readonly metrics: Pick<JobMetrics, 'limiter'>;
  /** JOBKIT_PARALLELISM, read and checked at start. */
  readonly parallelism: number | undefined;
}

/**
 * The `job.limiter` function of a run: the same name returns the same
 * limiter (so modules and helpers share one budget); the same name with other
 * options, a bad name, bad options or more than {@link MAX_LIMITERS} names
 * is a ConfigurationError.
 *
 * @example
 * ```ts
 * const limiter = createLimiters({ identity, log, signal: lifecycle.signal, metrics, parallelism: 4 });
 * const api = limiter('api', { ratePerSecond: 20, scope: 'job' }); // 5/s in this pod
 * ```
 */
export function createLimiters(deps: LimitersDeps): (name: string, options: LimiterOptions) => RateLimiter {
  const made = new Map<string, { readonly options: string; readonly limiter: RateLimiter }>();
  return (name, options) => {
    checkLimiterName(name);
    const key = JSON.stringify(options, Object.keys(options ?? {}).sort());
    const existing = made.get(name);
    if (existing !== undefined) {
      if (existing.options !== key) throw new ConfigurationError(`limiter ${name} exists with other options (${existing.options}), got ${key}: use one set of options per name`);
      return existing.limiter;
    }
    if (made.size >= MAX_LIMITERS) throw new ConfigurationError(`limiter ${name}: a run may have at most ${MAX_LIMITERS} limiters (the name is a metric label), got one more`);
    const limit = podShare(name, options, { count: deps.identity.count, parallelism: deps.parallelism });
    const recorder = deps.metrics.limiter(name);
    const limiter = createRateLimiter({
      name,
      limit,
      log: deps.log,
      signal: deps.signal,
      hooks: { onWait: (ms) => recorder.waited(ms / 1000), onThrottled: () => recorder.throttled(), onRate: (rate) => recorder.rate(rate) },
    });
    deps.log.debug({ limiter: name, ratePerSecond: limit.ratePerSecond, burst: limit.burst, sharedBy: limit.sharedBy }, `limiter ${name}: ${limit.ratePerSecond}/s in this pod`);
    made.set(name, { options: key, limiter });
    return limiter;
  };
}
