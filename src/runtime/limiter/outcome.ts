/**
 * What `limiter.run(fn)` reads from fn's result or error: was the call
 * throttled (HTTP 429 or 503), and did the server say when to come back.
 */
import { retryAfterMs } from './retry-after.ts';

/**
 * The statuses a limiter counts as "slow down": 429 Too Many Requests, 503 Service Unavailable.
 *
 * @example
 * ```ts
 * THROTTLE_STATUSES.has(res.status);
 * ```
 */
export const THROTTLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * How a call through a limiter went, as the limiter adapts to it.
 *
 * @example
 * ```ts
 * const outcome: CallOutcome = { kind: 'throttled', retryAfterMs: 1_000 };
 * ```
 */
export type CallOutcome = { readonly kind: 'success' } | { readonly kind: 'throttled'; readonly retryAfterMs: number | undefined } | { readonly kind: 'other' };

/**
 * Classify a value a call returned (a `Response`, or anything with `status`
 * and `headers`) or an error it threw (with `status`, `statusCode`,
 * `$metadata.httpStatusCode` (AWS SDK) or `response.status`): a 429 or 503 is
 * `throttled`, with its `Retry-After`; any other returned value is a
 * `success`; any other error is `other` (neither speeds up nor slows down).
 *
 * @example
 * ```ts
 * callOutcome({ returned: new Response('', { status: 429, headers: { 'retry-after': '1' } }) });
 * // { kind: 'throttled', retryAfterMs: 1000 }
 * callOutcome({ thrown: new Error('ECONNRESET') }); // { kind: 'other' }
 * ```
 */
export function callOutcome(result: { readonly returned: unknown } | { readonly thrown: unknown }, nowMs: number = Date.now()): CallOutcome {
  const value = 'returned' in result ? result.returned : result.thrown;
  const found = httpParts(value) ?? httpParts(field(value, 'response'));
  if (found !== undefined && THROTTLE_STATUSES.has(found.status)) return { kind: 'throttled', retryAfterMs: retryAfterMs(found.retryAfter, nowMs) };
  return 'returned' in result ? { kind: 'success' } : { kind: 'other' };
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function httpParts(value: unknown): { status: number; retryAfter: string | undefined } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const metadata = field(value, '$metadata');
  const status = [field(value, 'status'), field(value, 'statusCode'), field(metadata, 'httpStatusCode')].find((s): s is number => typeof s === 'number');
  if (status === undefined) return undefined;
  return { status, retryAfter: headerValue(field(value, 'headers'), 'retry-after') ?? headerValue(field(value, 'headers'), 'Retry-After') };
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const get = field(headers, 'get');
  if (typeof get === 'function') {
    const v: unknown = (get as (n: string) => unknown).call(headers, name);
    return typeof v === 'string' ? v : undefined;
  }
  const v = field(headers, name);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}
