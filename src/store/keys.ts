/**
 * Store key construction. Every key jobkit writes is built here, so that user
 * input (job names from the environment, scopes, idempotency keys) can never
 * escape its prefix: each segment is percent-encoded, which removes `/` and makes
 * `.`/`..` segments impossible.
 */
import type { JobIdentity } from '../runtime/types.ts';

const SAFE = /^[A-Za-z0-9_-]$/;

/**
 * Encode any non-empty string as one key segment: characters outside
 * `[A-Za-z0-9_-]` become `%XX` (UTF-8 bytes). Injective, so distinct inputs never
 * share a key.
 *
 * @example
 * ```ts
 * keySegment('train/../x'); // 'train%2F%2E%2E%2Fx'
 * ```
 */
export function keySegment(value: string): string {
  if (value.length === 0) throw new TypeError('a store key segment cannot be empty');
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Join already-safe segments (from {@link keySegment} or literals of jobkit's own)
 * into a key. Rejects empty, `.`/`..` and `/`-containing segments.
 *
 * @example
 * ```ts
 * joinKey('jobs', keySegment(ns), 'checkpoints'); // 'jobs/default/checkpoints'
 * ```
 */
export function joinKey(...segments: string[]): string {
  for (const s of segments) {
    if (s.length === 0 || s === '.' || s === '..' || s.includes('/')) {
      throw new TypeError(`invalid store key segment: ${JSON.stringify(s)}`);
    }
  }
  return segments.join('/');
}

/** Options of {@link scopePrefix}. */
export interface ScopeOptions {
  /**
   * An explicit scope shared across Jobs (e.g. every run of a CronJob). When set,
   * keys live under `scopes/<scope>` instead of `jobs/<namespace>/<job>`.
   */
  readonly scope?: string | undefined;
  /** Add `index-<n>` so that each index has its own keys. */
  readonly perIndex: boolean;
}

/**
 * The key prefix of a job's data: `jobs/<namespace>/<job>[/index-<n>]`, or
 * `scopes/<scope>[/index-<n>]` with an explicit scope.
 *
 * @example
 * ```ts
 * scopePrefix(job.identity, { perIndex: true }); // 'jobs/default/etl/index-3'
 * ```
 */
export function scopePrefix(identity: JobIdentity, options: ScopeOptions): string {
  const base =
    options.scope !== undefined
      ? ['scopes', keySegment(options.scope)]
      : ['jobs', keySegment(identity.namespace), keySegment(identity.jobName)];
  if (options.perIndex) base.push(`index-${identity.index}`);
  return joinKey(...base);
}
