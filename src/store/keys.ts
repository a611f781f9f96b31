/**
 * Store key construction. Every key jobkit writes is built here, so that user
 * input (job names from the environment, scopes, idempotency keys) can never
 * escape its prefix: each segment is percent-encoded, which removes `/` and makes
 * `.`/`..` segments impossible.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import type { JobIdentity } from '../runtime/types.ts';

const SAFE = /^[A-Za-z0-9_-]$/;

/** The segment a per-index prefix adds: `index-<n>`. */
const INDEX_SEGMENT = 'index-';
const INDEX_KEY = /^index-(0|[1-9][0-9]{0,8})\//;

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

/**
 * The scopes named by a keyword rather than a shared name:
 * - `job` (the default): this Job, `jobs/<namespace>/<job>`;
 * - `run`: this run of a CronJob, `cronjobs/<namespace>/<cronjob>/runs/<scheduled time, s>`,
 *   so a Job re-created for the same scheduled time finds its keys and the
 *   next schedule starts fresh; a manual run or a plain Job is its own run (`job`);
 * - `cronjob`: every run of this CronJob, `cronjobs/<namespace>/<cronjob>`
 *   (needs JOBKIT_CRONJOB_NAME).
 */
export const SCOPE_KEYWORDS = ['job', 'run', 'cronjob'] as const;

/** One of {@link SCOPE_KEYWORDS}. */
export type ScopeKeyword = (typeof SCOPE_KEYWORDS)[number];

/** Options of {@link scopePrefix}. */
export interface ScopeOptions {
  /**
   * Where the keys live: a keyword of {@link SCOPE_KEYWORDS} (`job` by
   * default, `run`, `cronjob`), or the name of a scope shared across Jobs,
   * `scopes/<scope>`.
   */
  readonly scope?: string | undefined;
  /** Add `index-<n>` so that each index has its own keys. */
  readonly perIndex: boolean;
}

function cronJobSegments(identity: JobIdentity, scope: ScopeKeyword): string[] {
  if (identity.cronJobName === undefined) {
    throw new ConfigurationError(
      `scope "${scope}" needs the CronJob's name (JOBKIT_CRONJOB_NAME, which jobkit manifest --schedule writes); this Job ${identity.jobName} has none`,
    );
  }
  return ['cronjobs', keySegment(identity.namespace), keySegment(identity.cronJobName)];
}

/**
 * The key prefix of a job's data: `jobs/<namespace>/<job>[/index-<n>]`, a
 * CronJob's (`run`, `cronjob`), or `scopes/<scope>[/index-<n>]` for a shared
 * scope.
 *
 * @throws ConfigurationError for `cronjob` without a CronJob name.
 * @example
 * ```ts
 * scopePrefix(job.identity, { perIndex: true });                   // 'jobs/default/etl/index-3'
 * scopePrefix(job.identity, { scope: 'cronjob', perIndex: false }); // 'cronjobs/default/nightly-report'
 * ```
 */
export function scopePrefix(identity: JobIdentity, options: ScopeOptions): string {
  const scope = options.scope;
  const job = ['jobs', keySegment(identity.namespace), keySegment(identity.jobName)];
  let base: string[];
  if (scope === undefined || scope === 'job') base = job;
  else if (scope === 'cronjob') base = cronJobSegments(identity, scope);
  else if (scope === 'run') {
    const scheduled = identity.scheduledTime;
    base =
      identity.cronJobName !== undefined && identity.trigger === 'schedule' && scheduled !== undefined
        ? [...cronJobSegments(identity, scope), 'runs', String(Math.floor(scheduled.getTime() / 1000))]
        : job;
  } else base = ['scopes', keySegment(scope)];
  if (options.perIndex) base.push(`${INDEX_SEGMENT}${identity.index}`);
  return joinKey(...base);
}

/**
 * Whether a scope is one of the keywords (and so depends on the identity).
 *
 * @example
 * ```ts
 * isScopeKeyword('run'); // true
 * isScopeKeyword('nightly-billing'); // false: a shared scope
 * ```
 */
export function isScopeKeyword(scope: string | undefined): scope is ScopeKeyword {
  return (SCOPE_KEYWORDS as readonly string[]).includes(scope ?? '');
}

/**
 * The list prefix under which every per-index prefix of `base` (a
 * {@link scopePrefix} with `perIndex: false`) lies: `<base>/index-`. Listing it
 * finds the indexes that wrote something without knowing their count.
 *
 * @example
 * ```ts
 * perIndexListPrefix('jobs/data/etl'); // 'jobs/data/etl/index-'
 * ```
 */
export function perIndexListPrefix(base: string): string {
  return `${base}/${INDEX_SEGMENT}`;
}

/**
 * The index of a key listed under {@link perIndexListPrefix}, or undefined
 * when the key is not under a per-index prefix of `base`.
 *
 * @example
 * ```ts
 * indexOfKey('jobs/data/etl', 'jobs/data/etl/index-3/checkpoints/head.json'); // 3
 * indexOfKey('jobs/data/etl', 'jobs/data/etl/idempotency/ab12'); // undefined
 * ```
 */
export function indexOfKey(base: string, key: string): number | undefined {
  if (!key.startsWith(`${base}/`)) return undefined;
  const m = INDEX_KEY.exec(key.slice(base.length + 1));
  return m === null ? undefined : Number(m[1]);
}
