/**
 * Checks of a store URL and of the S3 settings that open nothing: no client,
 * no socket, no directory. runJob calls them before `main` so that a bad
 * JOBKIT_STORE or JOBKIT_S3_* value fails the job at start with exit 78 (not
 * at the first checkpoint, minutes into the work), and `jobkit manifest`
 * calls them so that it never writes a manifest whose pods could only fail.
 *
 * The rules are those of openStore (src/store/open.ts) and the S3 store's
 * constructor, plus the S3 bucket naming rules; messages never show the
 * `user:password@` part of a URL (redactUrl of s3-config.ts).
 */
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Env, readInteger } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { redactUrl, s3TuningFromEnv } from './s3-config.ts';
import { splitUserinfo } from '../util/url-credentials.ts';

/** Where a store URL points, without anything opened. */
export type StoreLocation =
  | { readonly scheme: 's3'; readonly bucket: string; /** Decoded, no leading or trailing `/`; '' for none. */ readonly prefix: string }
  | { readonly scheme: 'file'; readonly path: string }
  | { readonly scheme: 'memory'; readonly name: string };

/** Options of {@link parseStoreUrl}. */
export interface ParseStoreUrlOptions {
  /** What the messages call the value: `JOBKIT_STORE` (default), `--store`, `option store`. */
  readonly source?: string;
  /** Base of `file://./relative` paths (default `process.cwd()`). */
  readonly cwd?: string;
}

const ALLOWED = 's3://bucket[/prefix], file:///absolute/path, file://./relative/path or memory://[name]';

/**
 * Parse a store URL as openStore would, without opening the store.
 *
 * @throws ConfigurationError naming the source and the (redacted) value, and what is allowed.
 * @example
 * ```ts
 * parseStoreUrl('s3://my-bucket/jobkit'); // { scheme: 's3', bucket: 'my-bucket', prefix: 'jobkit' }
 * parseStoreUrl('gs://x', { source: '--store' }); // throws: --store must be s3://bucket[/prefix], ...; unknown scheme "gs:", got "gs://x"
 * ```
 */
export function parseStoreUrl(value: string, options: ParseStoreUrlOptions = {}): StoreLocation {
  const source = options.source ?? 'JOBKIT_STORE';
  const invalid = (why: string): ConfigurationError =>
    new ConfigurationError(`${source} must be ${ALLOWED}; ${why}, got ${JSON.stringify(redactUrl(value))}`);
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw invalid('a malformed percent-escape (write % as %25)');
    }
  };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) throw invalid('no scheme');
  // Before URL parsing: a secret holding `/`, `#` or `?` would be read as host or path.
  if (splitUserinfo(value).userinfo !== undefined) throw invalid('credentials do not belong in the URL (use AWS_* variables)');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw invalid('not a URL');
  }
  if (parsed.username !== '' || parsed.password !== '') throw invalid('credentials do not belong in the URL (use AWS_* variables)');
  if (parsed.search !== '' || parsed.hash !== '') throw invalid('no query or fragment is allowed');
  switch (scheme) {
    case 'memory':
      return { scheme, name: decode(parsed.host + parsed.pathname.replace(/^\/$/, '')) };
    case 'file': {
      const pathname = decode(parsed.pathname);
      if (parsed.host === '.') return { scheme, path: resolve(options.cwd ?? process.cwd(), `.${pathname}`) };
      if (parsed.host !== '' && parsed.host !== 'localhost') throw invalid('a file URL names a local path (file:///abs or file://./rel)');
      const path = fileURLToPath(parsed);
      if (!isAbsolute(path) || path === '/') throw invalid('the path must be an absolute directory other than /');
      return { scheme, path };
    }
    case 's3': {
      // The raw host and path, not URL's: URL lowercases the host (hiding
      // `Bad_Bucket`) and resolves `a/../b` to `b`.
      const raw = /^s3:\/\/([^/]*)(\/.*)?$/i.exec(value);
      const bucket = raw?.[1] ?? '';
      if (bucket === '') throw invalid('the bucket is missing');
      const why = bucketNameProblem(bucket);
      if (why !== undefined) throw invalid(`invalid S3 bucket name "${bucket}": ${why}`);
      const prefix = decode(raw?.[2] ?? '').replace(/^\/+|\/+$/g, '');
      if (prefix !== '') {
        const bad = prefix.split('/').find((s) => s === '' || s === '.' || s === '..');
        if (bad !== undefined) throw invalid(`the prefix has an empty, "." or ".." segment`);
        if (prefix.includes('\0') || prefix.includes('\\')) throw invalid('the prefix contains NUL or a backslash');
        if (Buffer.byteLength(prefix, 'utf8') > 1024) throw invalid('the prefix is longer than 1024 bytes, the longest S3 key');
      }
      return { scheme, bucket, prefix };
    }
    default:
      throw invalid(`unknown scheme "${scheme}:"`);
  }
}

/**
 * Why `bucket` breaks the S3 naming rules for general purpose buckets, or
 * undefined when it keeps them.
 *
 * @example
 * ```ts
 * bucketNameProblem('Bad_Bucket'); // 'only lowercase letters, digits, "." and "-" are allowed'
 * bucketNameProblem('my-bucket'); // undefined
 * ```
 */
export function bucketNameProblem(bucket: string): string | undefined {
  if (bucket.length < 3 || bucket.length > 63) return `it must have 3 to 63 characters, it has ${bucket.length}`;
  if (!/^[a-z0-9.-]+$/.test(bucket)) return 'only lowercase letters, digits, "." and "-" are allowed';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(bucket)) return 'it must begin and end with a letter or digit';
  if (bucket.includes('..')) return 'two adjacent periods are not allowed';
  if (isIP(bucket) !== 0) return 'it must not be an IP address';
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) if (bucket.startsWith(prefix)) return `the prefix "${prefix}" is reserved`;
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) if (bucket.endsWith(suffix)) return `the suffix "${suffix}" is reserved`;
  return undefined;
}

/** The integer JOBKIT_S3_* settings and their ranges (those of s3-config.ts). */
export const S3_INTEGER_SETTINGS: ReadonlyArray<readonly [name: string, min: number, max: number]> = [
  ['JOBKIT_S3_MAX_SOCKETS', 1, 4096],
  ['JOBKIT_S3_PART_SIZE_MB', 5, 5 * 1024],
  ['JOBKIT_S3_UPLOAD_CONCURRENCY', 1, 64],
  ['JOBKIT_S3_MAX_ATTEMPTS', 1, 20],
  ['JOBKIT_S3_REQUEST_TIMEOUT_MS', 100, 3_600_000],
];

/**
 * Check every JOBKIT_S3_* variable (and the S3 endpoint variables) without
 * creating a client. Integers go through the one integer reader first, so
 * `0x3` and `1e1` are refused as everywhere else.
 *
 * @throws ConfigurationError naming the variable and the value.
 * @example
 * ```ts
 * validateS3Env({ JOBKIT_S3_MAX_SOCKETS: '0x3' }); // throws: JOBKIT_S3_MAX_SOCKETS must be an integer >= 1 and <= 4096, got "0x3"
 * ```
 */
export function validateS3Env(env: Env): void {
  for (const [name, min, max] of S3_INTEGER_SETTINGS) readInteger(env, name, { min, max });
  s3TuningFromEnv(env);
}
