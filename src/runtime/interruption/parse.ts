/**
 * Lenient readers for metadata answers: a metadata service's body is read
 * for what it announces, and a field that is missing or malformed never
 * turns a notice into an error.
 */

/**
 * A JSON object body, or `{}` when the body is not one.
 *
 * @example
 * ```ts
 * parseObject('{"action":"terminate"}').action; // 'terminate'
 * parseObject('not json'); // {}
 * ```
 */
export function parseObject(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * A time field (RFC 3339, or the RFC 1123 dates Azure writes), or undefined.
 *
 * @example
 * ```ts
 * parseTime('2026-03-01T10:02:00Z')?.toISOString(); // '2026-03-01T10:02:00.000Z'
 * parseTime('Mon, 19 Sep 2016 18:29:47 GMT')?.getUTCFullYear(); // 2016
 * ```
 */
export function parseTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
