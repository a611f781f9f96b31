/**
 * The arguments `jobkit status` and `jobkit checkpoint` share: the store, the
 * job and namespace, an index, `-o`. Each is checked before the store is
 * touched, so bad input exits 2 having read nothing; a job name or namespace
 * that is not one plain name (a `/`, `.` or `..`, a control character) is
 * refused even though key segments are escaped anyway (store/keys.ts): such
 * a value is a mistake (`--job data/etl` for `--namespace data --job etl`),
 * and would only ever report "no records".
 */
import { resolveStoreUrl } from '../store/open.ts';
import { parseStoreUrl } from '../store/schemes.ts';

/** Longest job name or namespace accepted (a Kubernetes object name is at most 253 characters). */
const MAX_NAME = 253;
/** Indexes run below Kubernetes' limit on an Indexed Job's completions (100 000). */
export const MAX_INDEX = 99_999;

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/**
 * Check a `--job` or `--namespace` value and return it.
 *
 * @throws Error naming the flag and the value (the caller exits 2).
 * @example
 * ```ts
 * checkName('--job', 'etl'); // 'etl'
 * checkName('--job', '../x'); // throws: --job must be one name ...
 * ```
 */
export function checkName(flag: string, value: string): string {
  const why =
    value.length === 0
      ? 'cannot be empty'
      : value.length > MAX_NAME
        ? `must have at most ${MAX_NAME} characters`
        : value === '.' || value === '..'
          ? 'cannot be "." or ".."'
          : value.includes('/') || value.includes('\\')
            ? 'cannot contain "/" or "\\" (give the namespace with --namespace)'
            : UNPRINTABLE.test(value)
              ? 'cannot contain control characters'
              : undefined;
  if (why !== undefined) throw new Error(`${flag} must be one name of the job's identity (JOBKIT_JOB_NAME, JOBKIT_NAMESPACE): it ${why}, got ${JSON.stringify(value.slice(0, 80))}`);
  return value;
}

/**
 * Parse an `--index` (or `--seq`) value: decimal digits only, within `[min, max]`.
 *
 * @throws Error naming the flag and the value.
 * @example
 * ```ts
 * parseCount('--index', '3', 0, MAX_INDEX); // 3
 * parseCount('--index', '-1', 0, MAX_INDEX); // throws
 * ```
 */
export function parseCount(flag: string, value: string, min: number, max: number): number {
  const n = /^[0-9]{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value.slice(0, 40))}`);
  return n;
}

/**
 * Check `-o`: only `json`, or nothing (text for a person).
 *
 * @example
 * ```ts
 * checkOutput(undefined); // undefined
 * checkOutput('yaml');    // throws: -o must be json
 * ```
 */
export function checkOutput(value: string | undefined): 'json' | undefined {
  if (value === undefined || value === 'json') return value;
  throw new Error(`-o must be json, got ${JSON.stringify(value.slice(0, 40))}`);
}

/**
 * The store URL from `--store`, else JOBKIT_STORE; checked (parsed, nothing
 * opened). Unlike a job's own default, there is no fallback to
 * `./.jobkit/store`: inspecting the wrong store would only say "no records".
 *
 * @throws Error when neither is given or the URL is malformed (credentials removed from the message).
 * @example
 * ```ts
 * storeUrlOf('s3://bucket/jobkit', process.env); // 's3://bucket/jobkit'
 * ```
 */
export function storeUrlOf(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag === undefined && (env.JOBKIT_STORE ?? '') === '') throw new Error('--store is required (or set JOBKIT_STORE)');
  const url = resolveStoreUrl(flag, { env });
  parseStoreUrl(url, { source: flag === undefined ? 'JOBKIT_STORE' : '--store' });
  return url;
}

/**
 * The `-o json` form of a report: every field always present (`null` when
 * unknown), so a script can rely on the shapes documented in docs/cli.md.
 *
 * @example
 * ```ts
 * jsonOutput({ seq: 3, epoch: undefined }); // '{\n  "seq": 3,\n  "epoch": null\n}\n'
 * ```
 */
export function jsonOutput(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (v === undefined ? null : v), 2)}\n`;
}
