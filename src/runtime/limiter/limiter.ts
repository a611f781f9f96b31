/**
 * The rate limiter a pod uses in front of a downstream API: a token bucket
 * whose rate adapts to the API's answers (AIMD: halve on 429/503, add back a
 * little per success), and which pauses on `Retry-After`.
 */
import type { JobLogger } from '../types.ts';
import { ConfigurationError } from '../errors.ts';
import { TokenBucket } from './bucket.ts';
import { LIMITER_DECREASE_COOLDOWN_MS, LIMITER_DECREASE_FACTOR, LIMITER_INCREASE_FRACTION, LIMITER_MAX_RETRY_AFTER_MS } from './constants.ts';
import type { PodLimit } from './options.ts';
import { callOutcome } from './outcome.ts';
import { retryAfterMs } from './retry-after.ts';
import { abortableSleep } from './wait.ts';
import { createWaitQueue } from './wait-queue.ts';

/**
 * Options of one {@link RateLimiter.acquire} or {@link RateLimiter.run} call.
 *
 * @example
 * ```ts
 * await api.acquire(1, { signal: AbortSignal.timeout(5_000) }); // give up after 5 s
 * ```
 */
export interface AcquireOptions {
  /** Also stop waiting when this aborts (the job's signal always stops it). */
  readonly signal?: AbortSignal;
}

/**
 * Options of {@link RateLimiter.run}.
 *
 * @example
 * ```ts
 * await api.run((signal) => fetch(batchUrl, { signal }), { tokens: 10 }); // a batch call costs 10
 * ```
 */
export interface LimiterRunOptions extends AcquireOptions {
  /**
   * Tokens the call costs.
   * @default 1
   */
  readonly tokens?: number;
}

/**
 * A rate limiter: `acquire` waits for a token; `run` waits, calls, and reads
 * the outcome; `throttled` / `succeeded` report outcomes by hand.
 *
 * @example
 * ```ts
 * const api = job.limiter('api', { ratePerSecond: 20, scope: 'job' });
 * // run() reads a returned Response (or a thrown error's status): 429/503 slow down, anything else speeds up.
 * const res = await api.run((signal) => fetch(url, { signal }));
 * // or by hand:
 * await api.acquire();
 * const r = await fetch(url, { signal: job.signal });
 * if (r.status === 429) api.throttled(r.headers.get('retry-after'));
 * else api.succeeded();
 * ```
 */
export interface RateLimiter {
  /** The limiter's name (the `limiter` label of its metrics). */
  readonly name: string;
  /** The rate in effect now, tokens per second (this pod's; lower than configured while throttled). */
  readonly ratePerSecond: number;
  /** This pod's configured share: rate, burst, floor, and how many pods share the budget. */
  readonly limit: PodLimit;
  /**
   * Wait until `n` tokens are available (and any `Retry-After` pause is
   * over), then take them. Rejects with the signal's reason as soon as the
   * job's signal (or `options.signal`) aborts.
   *
   * @example
   * ```ts
   * await api.acquire();     // one request
   * await api.acquire(10);   // a batch of ten (needs burst >= 10)
   * ```
   */
  acquire(n?: number, options?: AcquireOptions): Promise<void>;
  /**
   * `acquire`, then `fn`, then adapt to how it went: a returned value or a
   * thrown error with HTTP status 429 or 503 (`status`, `statusCode`,
   * `$metadata.httpStatusCode`, `response.status`) counts as throttled, with
   * its `Retry-After` header; any other returned value as a success; any
   * other error as neither. Returns what `fn` returned (a 429 Response too:
   * retrying is the caller's, e.g. `job.retry`), rethrows what it threw.
   *
   * @example
   * ```ts
   * const res = await job.retry('api.get', async () => {
   *   const r = await api.run((signal) => fetch(url, { signal })); // a 429 here already slowed the limiter
   *   if (r.status === 429 || r.status === 503) throw new RetryableError(`api answered ${r.status}`);
   *   return r;
   * });
   * ```
   */
  run<T>(fn: (signal: AbortSignal) => Promise<T> | T, options?: LimiterRunOptions): Promise<T>;
  /**
   * Report a throttled answer (429, 503): the rate is halved (at most once
   * per second, never below the floor) and, with a `Retry-After` (the
   * header's value: seconds or an HTTP date, or a number of seconds), every
   * acquisition of this limiter in the pod waits until then.
   *
   * @example
   * ```ts
   * if (res.status === 429) api.throttled(res.headers.get('retry-after'));
   * ```
   */
  throttled(retryAfter?: string | number | null): void;
  /**
   * Report a success: the rate grows back by 5 % of the configured rate,
   * up to the configured rate.
   *
   * @example
   * ```ts
   * if (res.ok) api.succeeded();
   * ```
   */
  succeeded(): void;
}

/**
 * What a limiter tells its owner (runJob turns these into metrics).
 *
 * @example
 * ```ts
 * const hooks: RateLimiterHooks = { onThrottled: () => throttles.inc(), onRate: (r) => rate.set(r) };
 * ```
 */
export interface RateLimiterHooks {
  /** A wait ended (or was aborted) after `ms` milliseconds. */
  onWait?(ms: number): void;
  /** A throttled answer was reported. */
  onThrottled?(): void;
  /** The rate in effect changed (also called once at creation). */
  onRate?(ratePerSecond: number): void;
}

/**
 * Options of {@link createRateLimiter}.
 *
 * @example
 * ```ts
 * const options: CreateRateLimiterOptions = { name: 'api', limit: podShare('api', { ratePerSecond: 5 }, identity), log };
 * ```
 */
export interface CreateRateLimiterOptions {
  readonly name: string;
  /** This pod's share (from `podShare`). */
  readonly limit: PodLimit;
  /** Where the state changes are logged (throttled, recovered). */
  readonly log: JobLogger;
  /** Stops every wait when aborted: the job's signal. */
  readonly signal?: AbortSignal;
  readonly hooks?: RateLimiterHooks;
  /** A monotonic clock in milliseconds (tests). Default `performance.now`. */
  readonly now?: () => number;
  /** The wall clock, for `Retry-After` dates. Default `Date.now`. */
  readonly wallNow?: () => number;
  /** The sleep (tests). Default: an abortable timer. */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/**
 * Make a rate limiter for one pod. `job.limiter(name, options)` is the way
 * in for jobs; this is for code outside runJob and for tests.
 *
 * @example
 * ```ts
 * const limit = podShare('api', { ratePerSecond: 10 }, identity);
 * const api = createRateLimiter({ name: 'api', limit, log, signal: lifecycle.signal });
 * await api.acquire();
 * ```
 */
export function createRateLimiter(options: CreateRateLimiterOptions): RateLimiter {
  const { name, limit, log, hooks = {} } = options;
  const now = options.now ?? (() => performance.now());
  const wallNow = options.wallNow ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const bucket = new TokenBucket({ ratePerSecond: limit.ratePerSecond, burst: limit.burst, nowMs: now() });
  const queue = createWaitQueue({ bucket, now, sleep });
  let rate = limit.ratePerSecond;
  let lastDecreaseMs = -Infinity;
  let slowed = false;
  hooks.onRate?.(rate);

  const setRate = (next: number): void => {
    if (next === rate) return;
    rate = next;
    bucket.setRate(rate, now());
    hooks.onRate?.(rate);
  };
  const round = (r: number): number => Math.round(r * 100) / 100;

  const acquire = async (n = 1, callOptions: AcquireOptions = {}): Promise<void> => {
    if (!(Number.isFinite(n) && n > 0)) throw new ConfigurationError(`limiter ${name}: acquire(n) needs a number > 0, got ${String(n)}`);
    if (n > limit.burst) throw new ConfigurationError(`limiter ${name}: acquire(${n}) asks for more than the burst (${limit.burst}); raise the limiter's burst`);
    const signal = anySignal(options.signal, callOptions.signal);
    const started = now();
    const queued = queue.length > 0 || bucket.tokens(started) < n;
    try {
      await queue.take(n, signal);
    } finally {
      if (queued) hooks.onWait?.(now() - started);
    }
  };

  const throttled = (retryAfter?: string | number | null): void => {
    hooks.onThrottled?.();
    const t = now();
    const pauseMs = retryAfterMs(retryAfter, wallNow());
    if (pauseMs !== undefined && pauseMs > 0) bucket.pauseUntil(t + Math.min(pauseMs, LIMITER_MAX_RETRY_AFTER_MS));
    if (t - lastDecreaseMs < LIMITER_DECREASE_COOLDOWN_MS) return;
    lastDecreaseMs = t;
    const next = Math.max(limit.minRatePerSecond, rate * LIMITER_DECREASE_FACTOR);
    const wasSlowed = slowed;
    slowed = true;
    const fields = { limiter: name, ratePerSecond: round(next), configuredPerSecond: round(limit.ratePerSecond), ...(pauseMs === undefined ? {} : { retryAfterMs: Math.round(pauseMs) }) };
    if (!wasSlowed) log.warn(fields, `limiter ${name} throttled: slowed to ${round(next)}/s${pauseMs === undefined ? '' : `, paused ${Math.round(pauseMs)} ms`}`);
    else log.debug(fields, `limiter ${name} throttled again: ${round(next)}/s`);
    setRate(next);
  };

  const succeeded = (): void => {
    if (rate >= limit.ratePerSecond) return;
    const next = Math.min(limit.ratePerSecond, rate + limit.ratePerSecond * LIMITER_INCREASE_FRACTION);
    setRate(next);
    if (next >= limit.ratePerSecond && slowed) {
      slowed = false;
      log.info({ limiter: name, ratePerSecond: round(next) }, `limiter ${name} recovered to ${round(next)}/s`);
    }
  };

  return {
    name,
    get ratePerSecond() {
      return rate;
    },
    limit,
    acquire,
    async run(fn, runOptions = {}) {
      await acquire(runOptions.tokens ?? 1, runOptions);
      const signal = anySignal(options.signal, runOptions.signal) ?? new AbortController().signal;
      let returned: Awaited<ReturnType<typeof fn>>;
      try {
        returned = await fn(signal);
      } catch (err) {
        const outcome = callOutcome({ thrown: err }, wallNow());
        if (outcome.kind === 'throttled') throttled(outcome.retryAfterMs === undefined ? undefined : outcome.retryAfterMs / 1000);
        throw err;
      }
      const outcome = callOutcome({ returned }, wallNow());
      if (outcome.kind === 'throttled') throttled(outcome.retryAfterMs === undefined ? undefined : outcome.retryAfterMs / 1000);
      else succeeded();
      return returned;
    },
    throttled,
    succeeded,
  };
}

/** One signal that aborts when either does (undefined when neither is given). */
function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined || b === a) return a;
  return AbortSignal.any([a, b]);
}
