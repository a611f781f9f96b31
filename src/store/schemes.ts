/**
 * The store URL schemes, one typed table: for each scheme, how its URL is
 * parsed (without opening anything), how its settings are checked at start,
 * which prefix it adds to every key, and how it is opened.
 *
 * Adding a scheme: add its location fields to {@link StoreLocations}; the
 * compiler then refuses {@link STORE_SCHEMES} until the new entry has every
 * part, and every caller goes through the table (openStore, parseStoreUrl,
 * the start-time checks of runJob and `jobkit manifest`), so nothing else
 * needs to know the scheme.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { splitUserinfo } from '../util/url-credentials.ts';
import { DeferredStore } from './deferred.ts';
import { FsStore } from './fs.ts';
import { MemoryStore } from './memory.ts';
import type { OpenStoreOptions } from './open.ts';
import { assertValidTuning, bucketNameProblem, redactUrl, s3RootUrl, s3TuningFromEnv } from './s3-config.ts';
import type { S3StoreOptions } from './s3.ts';
import type { ObjectStore } from './types.ts';

/** What a store URL of each scheme points to, by scheme. */
export interface StoreLocations {
  readonly s3: {
    readonly bucket: string;
    /** Decoded, no leading or trailing `/`; '' for none. */
    readonly prefix: string;
  };
  readonly file: { readonly path: string };
  readonly memory: { readonly name: string };
}

/** A store URL scheme (`s3`, `file`, `memory`). */
export type StoreScheme = keyof StoreLocations;

/** Where a store URL points, without anything opened. `StoreLocation<'s3'>` is one scheme's. */
export type StoreLocation<K extends StoreScheme = StoreScheme> = { [P in K]: { readonly scheme: P } & StoreLocations[P] }[K];

/** A store URL that passed the checks every scheme shares (a scheme, no credentials, query or fragment). */
export interface ParsedStoreUrl {
  /** The URL as given. */
  readonly value: string;
  /** It, parsed by `URL`. */
  readonly url: URL;
  /** Why the URL is refused: a ConfigurationError naming the source, the allowed forms and the redacted value. */
  readonly invalid: (why: string) => ConfigurationError;
  /** Percent-decode part of the URL; a malformed escape is {@link invalid}. */
  readonly decode: (part: string) => string;
  /** Base of relative paths. */
  readonly cwd: string;
}

/** What the start-time checks of a store's settings see. */
export interface StoreSettings {
  /** The job's environment (JOBKIT_S3_*, AWS_*...). */
  readonly env: Env;
  /** The options the store will be opened with. */
  readonly options?: OpenStoreOptions | undefined;
}

/** One scheme's part of every operation on store URLs. */
export interface StoreSchemeHandler<K extends StoreScheme> {
  /** The URL forms, for messages (`s3://bucket[/prefix]`). */
  readonly forms: readonly string[];
  /** The location of `url` (of this scheme); throws `url.invalid(...)` when it is not usable. */
  parse(url: ParsedStoreUrl): StoreLocation<K>;
  /** Check the settings the store would be opened with, opening nothing (no client, socket or directory). */
  validate(location: StoreLocation<K>, settings: StoreSettings): void;
  /** What the store puts before every key (it counts towards the 1024-byte key limit of S3). */
  keyPrefix(location: StoreLocation<K>): string;
  /**
   * The store, synchronously. A backend with heavy dependencies loads them at
   * its first operation (see DeferredStore), so that opening, and every job
   * that never touches it, costs nothing.
   */
  open(location: StoreLocation<K>, options: OpenStoreOptions): ObjectStore;
}

/** The S3 options a location opens with: environment, then code options, then the URL's bucket and prefix. */
function s3Options(location: StoreLocation<'s3'>, settings: StoreSettings): S3StoreOptions {
  return { ...s3TuningFromEnv(settings.env), ...settings.options?.s3, bucket: location.bucket, prefix: location.prefix };
}

/** Every scheme: the compiler refuses a scheme of {@link StoreLocations} without its entry. */
export const STORE_SCHEMES: { readonly [K in StoreScheme]: StoreSchemeHandler<K> } = {
  s3: {
    forms: ['s3://bucket[/prefix]'],
    parse({ value, invalid, decode }) {
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
      return { scheme: 's3', bucket, prefix };
    },
    validate: (location, settings) => assertValidTuning(s3Options(location, settings)),
    keyPrefix: (location) => location.prefix,
    open(location, options) {
      const s3 = s3Options(location, { env: options.env ?? process.env, options });
      assertValidTuning(s3);
      // @aws-sdk/client-s3 loads at the first operation, not with jobkit.
      return new DeferredStore(s3RootUrl(location.bucket, location.prefix), async () => {
        const { S3Store } = await import('./s3.ts');
        return new S3Store(s3);
      });
    },
  },
  file: {
    forms: ['file:///absolute/path', 'file://./relative/path'],
    parse({ url, invalid, decode, cwd }) {
      // Decoded first: fileURLToPath throws a bare URIError on a malformed escape.
      const pathname = decode(url.pathname);
      if (url.host === '.') return { scheme: 'file', path: resolve(cwd, `.${pathname}`) };
      if (url.host !== '' && url.host !== 'localhost') throw invalid('a file URL names a local path (file:///abs or file://./rel)');
      const path = fileURLToPath(url);
      if (!isAbsolute(path) || path === '/') throw invalid('the path must be an absolute directory other than /');
      return { scheme: 'file', path };
    },
    validate: () => {},
    keyPrefix: () => '',
    open: (location, options) => new FsStore(location.path, options.fs),
  },
  memory: {
    forms: ['memory://[name]'],
    parse: ({ url, decode }) => ({ scheme: 'memory', name: decode(url.host + url.pathname.replace(/^\/$/, '')) }),
    validate: () => {},
    keyPrefix: () => '',
    open: (location, options) => new MemoryStore({ ...options.memory, name: location.name }),
  },
};

/** One scheme's entry, typed by the location (the table is indexed by the location's own scheme). */
function handlerOf<K extends StoreScheme>(location: StoreLocation<K>): StoreSchemeHandler<K> {
  return STORE_SCHEMES[location.scheme];
}

function isStoreScheme(scheme: string): scheme is StoreScheme {
  return Object.hasOwn(STORE_SCHEMES, scheme);
}

/** Options of {@link parseStoreUrl}. */
export interface ParseStoreUrlOptions {
  /** What the messages call the value: `JOBKIT_STORE` (default), `--store`, `option store`. */
  readonly source?: string;
  /** Base of `file://./relative` paths (default `process.cwd()`). */
  readonly cwd?: string;
}

/**
 * Parse a store URL as openStore does, without opening the store.
 *
 * @throws ConfigurationError naming the source and the (redacted) value, and what is allowed.
 * @example
 * ```ts
 * parseStoreUrl('s3://my-bucket/jobkit'); // { scheme: 's3', bucket: 'my-bucket', prefix: 'jobkit' }
 * parseStoreUrl('gs://x', { source: '--store' }); // throws: --store must be s3://bucket[/prefix], ...; unknown scheme "gs:", got "gs://x"
 * ```
 */
export function parseStoreUrl(value: string, options: ParseStoreUrlOptions = {}): StoreLocation {
  const forms = Object.values(STORE_SCHEMES).flatMap((handler) => handler.forms);
  const allowed = `${forms.slice(0, -1).join(', ')} or ${forms.at(-1) ?? ''}`;
  const invalid = (why: string): ConfigurationError =>
    new ConfigurationError(`${options.source ?? 'JOBKIT_STORE'} must be ${allowed}; ${why}, got ${JSON.stringify(redactUrl(value))}`);
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
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('not a URL');
  }
  if (url.username !== '' || url.password !== '') throw invalid('credentials do not belong in the URL (use AWS_* variables)');
  if (url.search !== '' || url.hash !== '') throw invalid('no query or fragment is allowed');
  if (!isStoreScheme(scheme)) throw invalid(`unknown scheme "${scheme}:"`);
  return STORE_SCHEMES[scheme].parse({ value, url, invalid, decode, cwd: options.cwd ?? process.cwd() });
}

/**
 * Check the settings a store at `location` would be opened with (S3: the
 * JOBKIT_S3_* environment merged with the code options), opening nothing.
 *
 * @throws ConfigurationError naming the setting and its value.
 * @example
 * ```ts
 * validateStoreSettings(parseStoreUrl('s3://b-b'), { env: {}, options: { s3: { partSize: 1 } } }); // throws: S3 store option partSize must be ...
 * ```
 */
export function validateStoreSettings(location: StoreLocation, settings: StoreSettings): void {
  handlerOf(location).validate(location, settings);
}

/**
 * What the store at `location` puts before every key ('' for none).
 *
 * @example
 * ```ts
 * storeKeyPrefix(parseStoreUrl('s3://my-bucket/team/jobs')); // 'team/jobs'
 * ```
 */
export function storeKeyPrefix(location: StoreLocation): string {
  return handlerOf(location).keyPrefix(location);
}

/**
 * Open the store at `location`.
 *
 * @example
 * ```ts
 * const store = openLocation(parseStoreUrl('memory://test'), {});
 * ```
 */
export function openLocation(location: StoreLocation, options: OpenStoreOptions): ObjectStore {
  return handlerOf(location).open(location, options);
}
