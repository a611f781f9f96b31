/**
 * Store selection by URL: `s3://bucket/prefix`, `file:///path` (or
 * `file://./relative`), `memory://[name]`. With nothing configured the store is
 * a local directory, `./.jobkit/store` under the working directory, so a job
 * runs on a laptop with no setup and unchanged on a cluster with `s3://`.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigurationError } from '../runtime/errors.ts';
import { FsStore, type FsStoreOptions } from './fs.ts';
import { MemoryStore, type MemoryStoreOptions } from './memory.ts';
import { redactUrl, s3TuningFromEnv } from './s3-config.ts';
import { splitUserinfo } from '../util/url-credentials.ts';
import { S3Store, type S3StoreOptions } from './s3.ts';
import type { ObjectStore } from './types.ts';

/** The store directory used when JOBKIT_STORE is not set, relative to the working directory. */
export const DEFAULT_STORE_DIR = '.jobkit/store';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Environment to read JOBKIT_STORE, AWS_* and JOBKIT_S3_* from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Base of relative paths and of the default store (default `process.cwd()`). */
  readonly cwd?: string;
  /** S3 options; they win over the environment. */
  readonly s3?: Partial<Omit<S3StoreOptions, 'bucket' | 'prefix'>>;
  /** Options of the fs store. */
  readonly fs?: FsStoreOptions;
  /** Options of the memory store (its name comes from the URL). */
  readonly memory?: Omit<MemoryStoreOptions, 'name'>;
}

/**
 * The store URL in effect: `url` if given, else JOBKIT_STORE, else the default
 * `file://` URL of `<cwd>/.jobkit/store`.
 *
 * @example
 * ```ts
 * resolveStoreUrl(undefined, { env: {}, cwd: '/work' }); // 'file:///work/.jobkit/store'
 * ```
 */
export function resolveStoreUrl(url?: string, options: Pick<OpenStoreOptions, 'env' | 'cwd'> = {}): string {
  const env = options.env ?? process.env;
  const chosen = url ?? (env.JOBKIT_STORE === '' ? undefined : env.JOBKIT_STORE);
  if (chosen !== undefined) return chosen;
  return pathToFileURL(resolve(options.cwd ?? process.cwd(), DEFAULT_STORE_DIR)).href;
}

function invalid(value: string, why: string): ConfigurationError {
  return new ConfigurationError(
    `JOBKIT_STORE must be s3://bucket[/prefix], file:///absolute/path, file://./relative/path or memory://[name]; ` +
      `${why}, got ${JSON.stringify(redactUrl(value))}`,
  );
}

/**
 * Open the store named by `url` (or JOBKIT_STORE, or the default local
 * directory). A malformed URL is a ConfigurationError naming JOBKIT_STORE and
 * the value, with any credentials removed.
 *
 * @example
 * ```ts
 * const store = openStore(); // JOBKIT_STORE or ./.jobkit/store
 * const s3 = openStore('s3://my-bucket/jobkit', { s3: { region: 'eu-west-1' } });
 * ```
 */
export function openStore(url?: string, options: OpenStoreOptions = {}): ObjectStore {
  const value = resolveStoreUrl(url, options);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) throw invalid(value, 'no scheme');
  // Before URL parsing: a secret holding `/`, `#` or `?` would be read as host or path.
  if (splitUserinfo(value).userinfo !== undefined) throw invalid(value, 'credentials do not belong in the URL (use AWS_* variables)');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw invalid(value, 'not a URL');
  }
  if (parsed.username !== '' || parsed.password !== '') throw invalid(value, 'credentials do not belong in the URL (use AWS_* variables)');
  if (parsed.search !== '' || parsed.hash !== '') throw invalid(value, 'no query or fragment is allowed');
  switch (scheme) {
    case 'memory':
      return new MemoryStore({ ...options.memory, name: decodePart(value, parsed.host + parsed.pathname.replace(/^\/$/, '')) });
    case 'file':
      return new FsStore(filePath(value, parsed, options.cwd ?? process.cwd()), options.fs);
    case 's3': {
      const bucket = parsed.hostname;
      if (bucket === '') throw invalid(value, 'the bucket is missing');
      // The raw path, not URL's: URL would silently resolve `a/../b` to `b`.
      const rawPath = /^s3:\/\/[^/]*(\/.*)?$/i.exec(value)?.[1] ?? '';
      const prefix = decodePart(value, rawPath).replace(/^\/+|\/+$/g, '');
      return new S3Store({ ...s3TuningFromEnv(options.env ?? process.env), ...options.s3, bucket, prefix });
    }
    default:
      throw invalid(value, `unknown scheme "${scheme}:"`);
  }
}

/** Percent-decode part of the store URL; a malformed escape (`%zz`) is a configuration error, not a crash. */
function decodePart(value: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalid(value, 'a malformed percent-escape (write % as %25)');
  }
}

function filePath(value: string, parsed: URL, cwd: string): string {
  // Decoded first: fileURLToPath throws a bare URIError on a malformed escape.
  const pathname = decodePart(value, parsed.pathname);
  if (parsed.host === '.') return resolve(cwd, `.${pathname}`);
  if (parsed.host !== '' && parsed.host !== 'localhost') throw invalid(value, 'a file URL names a local path (file:///abs or file://./rel)');
  const path = fileURLToPath(parsed);
  if (!isAbsolute(path) || path === '/') throw invalid(value, 'the path must be an absolute directory other than /');
  return path;
}
