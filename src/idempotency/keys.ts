/**
 * Idempotency keys: validation, derivation from values, payload hashes and
 * the store key of a record.
 *
 * The key a caller gives is never used in a store key as such: it is hashed
 * (sha256) under the scope prefix built by store/keys.ts, so no key, however
 * long or strange, can escape its prefix or collide with jobkit's own objects.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import type { JobIdentity } from '../runtime/types.ts';
import { isScopeKeyword, joinKey, scopePrefix } from '../store/keys.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import { sha256Hex } from '../util/hash.ts';
import { MAX_KEY_LENGTH, RECORDS_SEGMENT } from './constants.ts';
import { IdempotencyKeyError } from './errors.ts';

// Control characters (C0, DEL, C1) and the Unicode line/paragraph separators:
// invisible in logs, and a frequent sign of a key built from raw bytes.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
// A UTF-16 surrogate without its partner: not encodable as UTF-8, so two
// different keys could hash alike after replacement.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Throw {@link IdempotencyKeyError} unless `key` is a usable key: a string of
 * 1..1024 UTF-16 code units, well-formed (no lone surrogates), without control
 * characters.
 *
 * @example
 * ```ts
 * validateKey('order-42'); // ok
 * validateKey('');         // throws IdempotencyKeyError
 * ```
 */
export function validateKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new IdempotencyKeyError(`an idempotency key must be a string, got ${describe(key)}`);
  if (key.length === 0) throw new IdempotencyKeyError('an idempotency key cannot be empty');
  if (key.length > MAX_KEY_LENGTH) {
    throw new IdempotencyKeyError(
      `an idempotency key must be at most ${MAX_KEY_LENGTH} characters, got ${key.length} (starting ${JSON.stringify(key.slice(0, 32))}); ` +
        'use deriveKey() to hash a long value',
    );
  }
  if (LONE_SURROGATE.test(key)) throw new IdempotencyKeyError(`idempotency key ${JSON.stringify(key.slice(0, 64))} contains a lone surrogate`);
  const bad = UNPRINTABLE.exec(key);
  if (bad !== null) {
    const code = bad[0].codePointAt(0) ?? 0;
    throw new IdempotencyKeyError(
      `idempotency key ${JSON.stringify(key.slice(0, 64))} contains the unprintable character U+${code.toString(16).toUpperCase().padStart(4, '0')} at ${bad.index}`,
    );
  }
}

/**
 * A stable key for one or more values: `sha256:` followed by the hex sha256 of
 * their canonical JSON (object keys sorted), so equal values give equal keys in
 * every process and every run. Use it when the item itself is the identity.
 *
 * @throws IdempotencyKeyError naming the path of a value JSON cannot represent.
 * @example
 * ```ts
 * deriveKey('send-invoice', { customer: 7, month: '2026-11' }); // 'sha256:3f1c...'
 * ```
 */
export function deriveKey(...parts: readonly unknown[]): string {
  if (parts.length === 0) throw new IdempotencyKeyError('deriveKey() needs at least one value');
  let json: string;
  try {
    json = canonicalJson(parts);
  } catch (err) {
    throw new IdempotencyKeyError(`cannot derive an idempotency key: ${(err as Error).message}`, { cause: err });
  }
  return `sha256:${sha256Hex(json)}`;
}

/**
 * The payload hash recorded with a claim: sha256 of the canonical JSON of the
 * payload, or `null` when there is no payload.
 *
 * @throws IdempotencyKeyError naming the path of a value JSON cannot represent.
 * @example
 * ```ts
 * payloadHash({ amount: 10 }) === payloadHash({ amount: 10 }); // true
 * ```
 */
export function payloadHash(payload: unknown): string | null {
  if (payload === undefined) return null;
  try {
    return sha256Hex(canonicalJson(payload));
  } catch (err) {
    throw new IdempotencyKeyError(`cannot hash the idempotency payload: ${(err as Error).message}`, { cause: err });
  }
}

/** Stands in for the identity when only a scope is given: scopePrefix then reads nothing from it. */
const SCOPE_ONLY: JobIdentity = {
  platform: 'local',
  jobName: '-',
  namespace: '-',
  podName: undefined,
  podUid: undefined,
  nodeName: undefined,
  index: 0,
  count: 1,
  attempt: undefined,
};

/** Where a ledger keeps its records. */
export interface RecordScope {
  readonly identity?: JobIdentity | undefined;
  readonly scope?: string | undefined;
}

/**
 * The prefix under which a ledger's records live:
 * `jobs/<namespace>/<job>/idempotency` or `scopes/<scope>/idempotency`.
 *
 * @throws ConfigurationError when neither an identity nor a scope is given, or the scope is empty.
 * @example
 * ```ts
 * recordsPrefix({ scope: 'nightly-billing' }); // 'scopes/nightly-billing/idempotency'
 * recordsPrefix({ identity, scope: 'cronjob' }); // 'cronjobs/default/nightly-report/idempotency'
 * ```
 */
export function recordsPrefix(where: RecordScope): string {
  if (where.scope !== undefined && (typeof where.scope !== 'string' || where.scope.length === 0)) {
    throw new ConfigurationError(`option scope must be a non-empty string, got ${describe(where.scope)}`);
  }
  if (where.identity === undefined && where.scope === undefined) {
    throw new ConfigurationError('idempotency needs option identity (keys scoped to the job) or option scope (keys shared across jobs)');
  }
  if (where.identity === undefined && isScopeKeyword(where.scope)) {
    throw new ConfigurationError(`option scope "${where.scope}" is relative to the job: it needs option identity`);
  }
  const base = scopePrefix(where.identity ?? SCOPE_ONLY, { scope: where.scope, perIndex: false });
  return joinKey(...base.split('/'), RECORDS_SEGMENT);
}

/**
 * The store key of a key's record, and the key's hash (its name in events).
 *
 * @example
 * ```ts
 * recordKey('scopes/x/idempotency', 'order-42').storeKey; // 'scopes/x/idempotency/<sha256>'
 * ```
 */
export function recordKey(prefix: string, key: string): { readonly storeKey: string; readonly keyHash: string } {
  const keyHash = sha256Hex(key);
  // The prefix was built by joinKey and the hash is hex: concatenation is safe.
  return { storeKey: `${prefix}/${keyHash}`, keyHash };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value;
}
