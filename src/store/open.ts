/**
 * Store selection by URL: `s3://bucket/prefix`, `file:///path` (or
 * `file://./relative`), `memory://[name]`. With nothing configured the store is
 * a local directory, `./.jobkit/store` under the working directory, so a job
 * runs on a laptop with no setup and unchanged on a cluster with `s3://`.
 * The schemes themselves are the table of schemes.ts.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FsStoreOptions } from './fs.ts';
import type { MemoryStoreOptions } from './memory.ts';
import type { S3StoreOptions } from './s3.ts';
import { openLocation, parseStoreUrl } from './schemes.ts';
import type { ObjectStore } from './types.ts';
import { DEFAULT_STORE_DIR } from './constants.ts';

/** The store directory used when JOBKIT_STORE is not set, relative to the working directory (defined in constants.ts). */
export { DEFAULT_STORE_DIR };

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

/**
 * Open the store named by `url` (or JOBKIT_STORE, or the default local
 * directory). A malformed URL or a bad S3 setting is a ConfigurationError
 * naming JOBKIT_STORE (or the setting) and the value, with any credentials
 * removed. Nothing is connected to here: an `s3://` store loads the S3 SDK
 * and connects at its first operation.
 *
 * @example
 * ```ts
 * const store = openStore(); // JOBKIT_STORE or ./.jobkit/store
 * const s3 = openStore('s3://my-bucket/jobkit', { s3: { region: 'eu-west-1' } });
 * ```
 */
export function openStore(url?: string, options: OpenStoreOptions = {}): ObjectStore {
  const location = parseStoreUrl(resolveStoreUrl(url, options), { cwd: options.cwd });
  return openLocation(location, options);
}
