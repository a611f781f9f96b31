/**
 * Options of the S3 store, and how they are read from the environment. Code
 * options win over env; a bad value is a ConfigurationError naming the
 * variable and the value.
 */
import { isIP } from 'node:net';
import { type Env, checkOption, parseInteger, readInteger } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { redactUrl } from '../util/url-credentials.ts';
import { MAX_PART_SIZE, MIB, MIN_PART_SIZE, S3_LIMITS } from './constants.ts';

/** S3 server-side encryption modes. */
export type S3ServerSideEncryption = 'AES256' | 'aws:kms' | 'aws:kms:dsse';

/** When the SDK adds CRC checksums to requests / validates them on responses. */
export type S3ChecksumMode = 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';

/** Tunables of the S3 store (all optional; see docs/stores.md); the defaults are S3_DEFAULTS in constants.ts. */
export interface S3Tuning {
  /** Custom endpoint (MinIO, moto, R2, a VPC endpoint). Env: JOBKIT_S3_ENDPOINT, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL. */
  readonly endpoint?: string;
  /**
   * Region. Env: AWS_REGION, AWS_DEFAULT_REGION (region redirects are followed).
   *
   * @default the SDK's, us-east-1
   */
  readonly region?: string;
  /**
   * Path-style addressing (`endpoint/bucket/key`). Env: JOBKIT_S3_FORCE_PATH_STYLE.
   *
   * @default true with a custom endpoint, else false
   */
  readonly forcePathStyle?: boolean;
  /**
   * `WHEN_SUPPORTED` (SDK default): CRC32 checksums on every upload.
   * `WHEN_REQUIRED`: only where the API demands one; needed by S3-compatible
   * stores that reject the newer checksum headers. Env: JOBKIT_S3_CHECKSUMS.
   */
  readonly requestChecksumCalculation?: S3ChecksumMode;
  /** Same choice for validating response checksums. Env: JOBKIT_S3_CHECKSUMS. */
  readonly responseChecksumValidation?: S3ChecksumMode;
  /** Server-side encryption of written objects. Env: JOBKIT_S3_SSE. */
  readonly serverSideEncryption?: S3ServerSideEncryption;
  /** KMS key for `aws:kms`. Env: JOBKIT_S3_SSE_KMS_KEY_ID. */
  readonly sseKmsKeyId?: string;
  /**
   * Most sockets open to S3 at once. Env: JOBKIT_S3_MAX_SOCKETS.
   *
   * @default {@link S3_DEFAULTS}.maxSockets (32)
   */
  readonly maxSockets?: number;
  /**
   * Multipart part size in bytes (5 MiB..5 GiB). Env: JOBKIT_S3_PART_SIZE_MB.
   *
   * @default {@link S3_DEFAULTS}.partSize (8 MiB)
   */
  readonly partSize?: number;
  /**
   * Parts uploaded at once per stream. Env: JOBKIT_S3_UPLOAD_CONCURRENCY.
   *
   * @default {@link S3_DEFAULTS}.uploadConcurrency (4)
   */
  readonly uploadConcurrency?: number;
  /**
   * Attempts per request, including the SDK's retries. Env: JOBKIT_S3_MAX_ATTEMPTS.
   *
   * @default {@link S3_DEFAULTS}.maxAttempts (3)
   */
  readonly maxAttempts?: number;
  /**
   * Per-request socket timeout in ms. Env: JOBKIT_S3_REQUEST_TIMEOUT_MS.
   *
   * @default {@link S3_DEFAULTS}.requestTimeoutMs (60 000)
   */
  readonly requestTimeoutMs?: number;
}

function bad(variable: string, value: string, expected: string): ConfigurationError {
  return new ConfigurationError(`${variable} must be ${expected}, got ${JSON.stringify(value)}`);
}

function intFrom(env: NodeJS.ProcessEnv, variable: string, min: number, max: number): number | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  // The one integer reader: decimal digits only (`0x3`, `1e1` are refused).
  return parseInteger(variable, raw, { min, max });
}

function boolFrom(env: NodeJS.ProcessEnv, variable: string): boolean | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw bad(variable, raw, 'true or false');
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, variable: string, allowed: readonly T[]): T | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw bad(variable, raw, `one of ${allowed.join(', ')}`);
  return raw as T;
}

function endpointFrom(env: NodeJS.ProcessEnv): string | undefined {
  for (const variable of ['JOBKIT_S3_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    assertEndpoint(raw, variable);
    return raw;
  }
  return undefined;
}

/**
 * Throw a ConfigurationError unless `endpoint` is an http(s) URL. The message
 * shows the URL without any user:password part.
 *
 * @example
 * ```ts
 * assertEndpoint('http://127.0.0.1:9000', 'endpoint');
 * ```
 */
export function assertEndpoint(endpoint: string, variable: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw bad(variable, redactUrl(endpoint), 'an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(variable, redactUrl(endpoint), 'an http(s) URL');
}

/** A URL with any userinfo replaced by `***`, for messages (one rule for every URL setting). */
export { redactUrl };

/**
 * Read the S3 tunables from the environment (see {@link S3Tuning} for the
 * variables).
 *
 * @example
 * ```ts
 * const tuning = { ...s3TuningFromEnv(process.env), ...codeOptions };
 * ```
 */
export function s3TuningFromEnv(env: NodeJS.ProcessEnv): S3Tuning {
  const checksums = oneOf(env, 'JOBKIT_S3_CHECKSUMS', ['WHEN_SUPPORTED', 'WHEN_REQUIRED'] as const);
  const partSizeMb = intFrom(env, 'JOBKIT_S3_PART_SIZE_MB', ...S3_LIMITS.partSizeMb);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const tuning: Record<string, unknown> = {
    endpoint: endpointFrom(env),
    region,
    forcePathStyle: boolFrom(env, 'JOBKIT_S3_FORCE_PATH_STYLE'),
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    serverSideEncryption: oneOf(env, 'JOBKIT_S3_SSE', ['AES256', 'aws:kms', 'aws:kms:dsse'] as const),
    sseKmsKeyId: env.JOBKIT_S3_SSE_KMS_KEY_ID || undefined,
    maxSockets: intFrom(env, 'JOBKIT_S3_MAX_SOCKETS', ...S3_LIMITS.maxSockets),
    partSize: partSizeMb === undefined ? undefined : partSizeMb * MIB,
    uploadConcurrency: intFrom(env, 'JOBKIT_S3_UPLOAD_CONCURRENCY', ...S3_LIMITS.uploadConcurrency),
    maxAttempts: intFrom(env, 'JOBKIT_S3_MAX_ATTEMPTS', ...S3_LIMITS.maxAttempts),
    requestTimeoutMs: intFrom(env, 'JOBKIT_S3_REQUEST_TIMEOUT_MS', ...S3_LIMITS.requestTimeoutMs),
  };
  for (const k of Object.keys(tuning)) if (tuning[k] === undefined) delete tuning[k];
  return tuning;
}

/**
 * Check code-level tunables (env values are checked when read).
 *
 * @example
 * ```ts
 * assertValidTuning({ partSize: 16 * 1024 * 1024 });
 * ```
 */
export function assertValidTuning(t: S3Tuning): void {
  const int = (name: string, v: number | undefined, [min, max]: readonly [number, number]): void => {
    checkOption(name, v, { min, max, integer: true, label: `S3 store option ${name}`, plain: true });
  };
  int('partSize', t.partSize, [MIN_PART_SIZE, MAX_PART_SIZE]);
  int('uploadConcurrency', t.uploadConcurrency, S3_LIMITS.uploadConcurrency);
  int('maxSockets', t.maxSockets, S3_LIMITS.maxSockets);
  int('maxAttempts', t.maxAttempts, S3_LIMITS.maxAttempts);
  int('requestTimeoutMs', t.requestTimeoutMs, S3_LIMITS.requestTimeoutMs);
  if (t.endpoint !== undefined) assertEndpoint(t.endpoint, 'S3 store option endpoint');
  if (t.sseKmsKeyId !== undefined && t.serverSideEncryption !== 'aws:kms' && t.serverSideEncryption !== 'aws:kms:dsse') {
    throw new ConfigurationError('JOBKIT_S3_SSE_KMS_KEY_ID (sseKmsKeyId) needs JOBKIT_S3_SSE=aws:kms or aws:kms:dsse');
  }
}

/**
 * The URL of an S3 store, as its `url` shows it: `s3://bucket` or
 * `s3://bucket/prefix` (the prefix without leading or trailing `/`).
 *
 * @example
 * ```ts
 * s3RootUrl('my-bucket', 'team/jobs'); // 's3://my-bucket/team/jobs'
 * ```
 */
export function s3RootUrl(bucket: string, prefix: string): string {
  return prefix === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}`;
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

/** The integer JOBKIT_S3_* settings and their ranges (those of {@link s3TuningFromEnv}). */
export const S3_INTEGER_SETTINGS: ReadonlyArray<readonly [name: string, min: number, max: number]> = [
  ['JOBKIT_S3_MAX_SOCKETS', ...S3_LIMITS.maxSockets],
  ['JOBKIT_S3_PART_SIZE_MB', ...S3_LIMITS.partSizeMb],
  ['JOBKIT_S3_UPLOAD_CONCURRENCY', ...S3_LIMITS.uploadConcurrency],
  ['JOBKIT_S3_MAX_ATTEMPTS', ...S3_LIMITS.maxAttempts],
  ['JOBKIT_S3_REQUEST_TIMEOUT_MS', ...S3_LIMITS.requestTimeoutMs],
];

/**
 * Check every JOBKIT_S3_* variable (and the S3 endpoint variables) without
 * creating a client, and return the tunables they give. Integers go through
 * the one integer reader first, so `0x3` and `1e1` are refused as everywhere
 * else.
 *
 * @throws ConfigurationError naming the variable and the value.
 * @example
 * ```ts
 * validateS3Env({ JOBKIT_S3_MAX_SOCKETS: '0x3' }); // throws: JOBKIT_S3_MAX_SOCKETS must be an integer >= 1 and <= 4096, got "0x3"
 * ```
 */
export function validateS3Env(env: Env): S3Tuning {
  for (const [name, min, max] of S3_INTEGER_SETTINGS) readInteger(env, name, { min, max });
  return s3TuningFromEnv(env);
}
