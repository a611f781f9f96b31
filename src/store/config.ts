/**
 * The env form of the store's options (12-factor: set by the generated
 * manifest or the platform team; options in code win). A bad value is a
 * ConfigurationError naming the variable and the value.
 *
 * | variable | option |
 * |---|---|
 * | JOBKIT_STORE | runJob's `store` (a URL; default the directory {@link DEFAULT_STORE_DIR}) |
 * | JOBKIT_S3_ENDPOINT, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL | `storeOptions.s3.endpoint` |
 * | AWS_REGION, AWS_DEFAULT_REGION | `region` |
 * | JOBKIT_S3_FORCE_PATH_STYLE | `forcePathStyle` |
 * | JOBKIT_S3_CHECKSUMS | `requestChecksumCalculation`, `responseChecksumValidation` |
 * | JOBKIT_S3_SSE / _SSE_KMS_KEY_ID | `serverSideEncryption` / `sseKmsKeyId` |
 * | JOBKIT_S3_MAX_SOCKETS, _PART_SIZE_MB, _UPLOAD_CONCURRENCY, _MAX_ATTEMPTS, _REQUEST_TIMEOUT_MS | `maxSockets`, `partSize`, `uploadConcurrency`, `maxAttempts`, `requestTimeoutMs` |
 *
 * The S3 tunables are read by s3TuningFromEnv (s3-config.ts), which the S3
 * scheme calls when it opens a store; this reader checks them all, for any
 * scheme, so a bad value stops the job at start even before it switches to
 * S3.
 */
import { type Env, readString } from '../runtime/config.ts';
import { parseStoreUrl } from './schemes.ts';
import { type S3Tuning, validateS3Env } from './s3-config.ts';

/** The store settings the environment gives. */
export interface StoreEnvOptions {
  /** JOBKIT_STORE, checked as a store URL (parsed, not opened); absent when unset. */
  readonly url?: string;
  /** The JOBKIT_S3_* (and AWS endpoint and region) tunables; only the set ones. */
  readonly s3: S3Tuning;
}

/**
 * Read and check the store settings of the environment: every JOBKIT_S3_*
 * tunable (integers through the one integer reader, so `0x3` and `1e1` are
 * refused as everywhere else), then JOBKIT_STORE. Nothing is opened.
 *
 * @throws ConfigurationError naming the variable and its value.
 * @example
 * ```ts
 * storeOptionsFromEnv({ JOBKIT_STORE: 's3://bucket/jobs', JOBKIT_S3_MAX_SOCKETS: '64' });
 * // { url: 's3://bucket/jobs', s3: { maxSockets: 64 } }
 * storeOptionsFromEnv({ JOBKIT_S3_MAX_SOCKETS: '0x3' }); // throws: JOBKIT_S3_MAX_SOCKETS must be an integer >= 1 and <= 4096, got "0x3"
 * ```
 */
export function storeOptionsFromEnv(env: Env): StoreEnvOptions {
  const s3 = validateS3Env(env);
  const url = readString(env, 'JOBKIT_STORE');
  if (url === undefined) return { s3 };
  parseStoreUrl(url);
  return { url, s3 };
}
