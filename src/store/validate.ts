/**
 * Argument checks shared by every store implementation, so that memory, fs and
 * S3 reject exactly the same keys and condition combinations: a test that passes
 * against the memory store must not meet a different contract in production.
 */
import type { WriteConditions } from './types.ts';

/**
 * Throw a TypeError unless `key` is a valid store key: non-empty, `/`-separated,
 * no leading or trailing `/`, no empty, `.` or `..` segments, no NUL or
 * backslash. Keys come from keys.ts, so a bad one is a programming error.
 *
 * @example
 * ```ts
 * assertValidKey('jobs/default/etl/manifest.json'); // ok
 * assertValidKey('../etc/passwd'); // throws TypeError
 * ```
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('a store key cannot be empty');
  if (key.length > 1024) throw new TypeError(`store key is longer than 1024 characters: ${JSON.stringify(key.slice(0, 64))}...`);
  if (key.includes('\0') || key.includes('\\')) throw new TypeError(`store key contains NUL or backslash: ${JSON.stringify(key)}`);
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new TypeError(`invalid store key ${JSON.stringify(key)}: empty, "." or ".." segment (build keys with keys.ts)`);
    }
  }
}

/**
 * Throw a TypeError unless `prefix` is a valid list prefix: empty, or a key
 * prefix whose complete segments are valid (a trailing `/` is allowed).
 *
 * @example
 * ```ts
 * assertValidPrefix('jobs/default/'); // ok
 * assertValidPrefix(''); // ok: everything
 * ```
 */
export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new TypeError('a list prefix must be a string');
  if (prefix === '') return;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

/**
 * Throw a TypeError when both `ifNoneMatch` and `ifMatch` are given, or when
 * either has an unusable value.
 *
 * @example
 * ```ts
 * assertValidConditions({ ifNoneMatch: '*' }); // ok
 * ```
 */
export function assertValidConditions(conditions: WriteConditions | undefined): void {
  if (conditions === undefined) return;
  const { ifNoneMatch, ifMatch } = conditions;
  if (ifNoneMatch !== undefined && ifMatch !== undefined) {
    throw new TypeError('a write takes at most one condition: ifNoneMatch or ifMatch, not both');
  }
  if (ifNoneMatch !== undefined && ifNoneMatch !== '*') {
    throw new TypeError(`ifNoneMatch must be '*', got ${JSON.stringify(ifNoneMatch)}`);
  }
  if (ifMatch !== undefined && (typeof ifMatch !== 'string' || ifMatch.length === 0)) {
    throw new TypeError('ifMatch must be a non-empty etag');
  }
}

/**
 * Order keys the way S3 lists them: by the bytes of their UTF-8 encoding (JS
 * string comparison orders by UTF-16 code units, which differs above U+FFFF).
 *
 * @example
 * ```ts
 * keys.sort(compareKeys);
 * ```
 */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Throw the signal's reason when it is aborted.
 *
 * @example
 * ```ts
 * throwIfAborted(options?.signal);
 * ```
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}

/**
 * Turn a put body into bytes (strings are UTF-8).
 *
 * @example
 * ```ts
 * toBytes('{"n":1}').length; // 7
 * ```
 */
export function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}
