/**
 * The input of a frozen plan can live in another store than jobkit's state
 * (e.g. a data-lake bucket the job may only read). This module turns the
 * caller's `input` (a URL or an ObjectStore) and prefix into a listing source,
 * and guards the input store so that sharding never writes to it: the plan
 * itself always goes to the job's own store.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import { type OpenStoreOptions, openStore } from '../store/open.ts';
import type { ObjectStore } from '../store/types.ts';
import { assertValidPrefix } from '../store/validate.ts';
import { redactUrl } from '../util/url-credentials.ts';

/**
 * Where a plan's objects are listed: a store URL (`s3://raw/events/2026-12-01/`,
 * `file:///data/in`, `memory://name`), opened read-only, or an ObjectStore the
 * caller owns. Only `list` is ever called on it.
 *
 * @example
 * ```ts
 * const input: ShardInput = 's3://raw/events/2026-12-01/';
 * const files = await job.shard.objects('', { input });
 * ```
 */
export type ShardInput = string | ObjectStore;

/** The normalized source of a plan: which store is listed, under which prefix. */
export interface ResolvedSource {
  /** The input as given (undefined: the job's own store). */
  readonly input: ShardInput | undefined;
  /** URL of the input store, credentials removed, no trailing `/`; recorded in the manifest. */
  readonly inputUrl: string | undefined;
  /** Prefix to list, relative to the listed store's root. */
  readonly prefix: string;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Whether a prefix argument is really a store URL (`s3://...`): then it names
 * the input store and the prefix is empty.
 *
 * @example
 * ```ts
 * looksLikeStoreUrl('s3://raw/events/'); // true
 * looksLikeStoreUrl('input/2026-12-01/'); // false
 * ```
 */
export function looksLikeStoreUrl(value: string): boolean {
  return SCHEME.test(value);
}

/**
 * Normalize `prefix` and `input` without validating them: a URL given as the
 * prefix becomes the input store with an empty prefix. Enough to name the
 * plan's key; {@link resolveSource} also checks them.
 *
 * @example
 * ```ts
 * normalizeSource('s3://raw/events/', undefined); // { input: 's3://raw/events/', inputUrl: 's3://raw/events', prefix: '' }
 * ```
 */
export function normalizeSource(prefix: string, input: ShardInput | undefined): ResolvedSource {
  if (input === undefined && typeof prefix === 'string' && looksLikeStoreUrl(prefix)) return normalizeSource('', prefix);
  if (input === undefined) return { input, inputUrl: undefined, prefix };
  const url = typeof input === 'string' ? redactUrl(input) : input.url;
  return { input, inputUrl: url.replace(/\/+$/, ''), prefix };
}

/**
 * {@link normalizeSource}, then check the prefix and the input: bad ones are a
 * ConfigurationError naming them (the store would throw a bare TypeError,
 * which exits 70, not 78).
 *
 * @example
 * ```ts
 * resolveSource('events//x/', undefined); // throws ConfigurationError naming "events//x/"
 * ```
 */
export function resolveSource(prefix: string, input: ShardInput | undefined): ResolvedSource {
  if (typeof prefix !== 'string') throw new ConfigurationError(`shard plan prefix must be a string, got ${typeof prefix}`);
  if (input !== undefined && looksLikeStoreUrl(prefix)) {
    throw new ConfigurationError(
      `shard plan prefix ${JSON.stringify(redactUrl(prefix))} is a URL, but an input store is also given; ` +
        `pass the URL as the input and a prefix relative to it`,
    );
  }
  const source = normalizeSource(prefix, input);
  try {
    assertValidPrefix(source.prefix);
  } catch (err) {
    throw new ConfigurationError(
      `shard plan prefix ${JSON.stringify(source.prefix)} is not a valid key prefix (no leading "/", no empty, "." or ".." segments, ` +
        `no NUL or backslash); to list another bucket, pass its URL (s3://bucket/prefix/)`,
      { cause: err },
    );
  }
  if (typeof source.input === 'string' && !looksLikeStoreUrl(source.input)) {
    throw new ConfigurationError(
      `shard input store ${JSON.stringify(redactUrl(source.input))} must be a URL: s3://bucket[/prefix], file:///absolute/path, ` +
        `file://./relative/path or memory://name`,
    );
  }
  return source;
}

/**
 * Run `fn` with a read-only view of the input store: a URL is opened with
 * openStore (a malformed one is a ConfigurationError naming it) and closed
 * afterwards; a caller's store is wrapped, never closed.
 *
 * @example
 * ```ts
 * const keys = await withInputStore('s3://raw/events/', {}, async (store) => {
 *   const out: string[] = [];
 *   for await (const info of store.list('')) out.push(info.key);
 *   return out;
 * });
 * ```
 */
export async function withInputStore<T>(input: ShardInput, options: OpenStoreOptions, fn: (store: ObjectStore) => Promise<T>): Promise<T> {
  if (typeof input !== 'string') return fn(readOnlyStore(input));
  const store = openInputStore(input, options);
  try {
    return await fn(readOnlyStore(store));
  } finally {
    await store.close().catch(() => undefined);
  }
}

/**
 * Open an input URL; errors name the input, not JOBKIT_STORE (openStore's
 * message is about the job's store), with credentials removed.
 *
 * @example
 * ```ts
 * const raw = openInputStore('s3://raw/events/2026-12-01/', {});
 * ```
 */
export function openInputStore(url: string, options: OpenStoreOptions): ObjectStore {
  try {
    return openStore(url, options);
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    throw new ConfigurationError(`shard input store ${JSON.stringify(redactUrl(url))} cannot be opened: ${err.message}`, { cause: err });
  }
}

/**
 * A view of `store` that reads and lists but refuses every write. Input data
 * belongs to someone else (often a data lake the job may only read): a write
 * there would be a bug, and with read-only credentials an AccessDenied that
 * would look like a retryable store failure. The capability probe writes
 * probe objects, so it is refused too.
 *
 * @example
 * ```ts
 * const input = readOnlyStore(openStore('s3://raw'));
 * await input.put('x', 'y'); // throws ConfigurationError
 * ```
 */
export function readOnlyStore(store: ObjectStore): ObjectStore {
  const refuse = (what: string): Promise<never> =>
    Promise.reject(new ConfigurationError(`shard input store ${store.url} is read-only: jobkit never ${what} it (shard plans go to JOBKIT_STORE)`));
  return {
    url: store.url,
    get: (key, options) => store.get(key, options),
    getStream: (key, options) => store.getStream(key, options),
    head: (key, options) => store.head(key, options),
    list: (prefix, options) => store.list(prefix, options),
    put: () => refuse('writes to'),
    putStream: () => refuse('writes to'),
    delete: () => refuse('deletes from'),
    capabilities: () => refuse('probes (with writes)'),
    // The owner of the store closes it.
    close: () => Promise.resolve(),
  };
}
