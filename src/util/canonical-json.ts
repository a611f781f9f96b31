/**
 * Canonical JSON: object keys sorted, no whitespace, so that equal values give
 * equal bytes. Used for idempotency payload hashes, shard-plan checksums and
 * checkpoint manifests.
 */

/**
 * Serialize a JSON-compatible value canonically. Throws a TypeError naming the
 * path of the first value that JSON cannot represent faithfully (functions,
 * symbols, bigint, undefined inside arrays, non-finite numbers, cycles).
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

function write(value: unknown, path: string, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot serialize ${String(value)} at ${path}`);
      return JSON.stringify(value);
    case 'object':
      break;
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      throw new TypeError(`cannot serialize a ${typeof value} at ${path}`);
  }
  const obj: object = value;
  if (seen.has(obj)) throw new TypeError(`cannot serialize a cycle at ${path}`);
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((v: unknown, i) => write(v, `${path}[${i}]`, seen)).join(',')}]`;
    }
    if (obj instanceof Date) {
      // toISOString throws a bare RangeError that names no field.
      if (Number.isNaN(obj.getTime())) throw new TypeError(`cannot serialize an invalid Date at ${path}`);
      return JSON.stringify(obj.toISOString());
    }
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`cannot serialize an instance of ${obj.constructor?.name ?? 'unknown'} at ${path}`);
    }
    const entries = Object.entries(obj as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, `${path}.${k}`, seen)}`).join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}
