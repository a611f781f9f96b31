/** Reading an HTTP `Retry-After` value. */

/**
 * The delay a `Retry-After` header value asks for, in milliseconds: a number
 * of seconds (`"1"`, `"2.5"`) or an HTTP date (`"Wed, 21 Oct 2026 07:28:00
 * GMT"`, measured against `nowMs`, 0 when past). Undefined for a missing or
 * unreadable value, which the caller treats as "no pause".
 *
 * @example
 * ```ts
 * retryAfterMs('2');                                              // 2000
 * retryAfterMs('Thu, 03 Dec 2026 18:00:10 GMT', Date.parse('2026-12-03T18:00:00Z')); // 10000
 * retryAfterMs('soon');                                           // undefined
 * ```
 */
export function retryAfterMs(value: string | number | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
