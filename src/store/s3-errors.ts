/**
 * Turns AWS SDK errors into jobkit's outcome classes, so that the exit code of
 * a job that fails on S3 says what the operator must do: fix the configuration
 * (78), retry later (75), or nothing because a condition simply lost (the
 * caller handles PreconditionFailedError). Messages name the bucket and key,
 * never credentials.
 */
import { ConfigurationError, RetryableError } from '../runtime/errors.ts';
import { errnoCode } from './errno.ts';
import { PreconditionFailedError } from './errors.ts';

/** What the failed request was doing, for the message. */
export interface S3ErrorContext {
  /** SDK command name without the suffix: `PutObject`. */
  readonly operation: string;
  /** The store URL (`s3://bucket/prefix`), credential-free. */
  readonly storeUrl: string;
  readonly bucket: string;
  /** The key relative to the store root, when the request had one. */
  readonly key?: string;
  /** The request carried If-Match / If-None-Match. */
  readonly conditional?: boolean;
}

/**
 * The server rejected a conditional header it does not implement (501, or a
 * 400 naming the header): the store lacks that capability.
 */
export class S3UnsupportedError extends ConfigurationError {}

const CONFIGURATION_CODES = new Set([
  'NoSuchBucket',
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'InvalidBucketName',
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
  'KMS.NotFoundException',
  'KMS.DisabledException',
]);

const RETRYABLE_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'ExpiredToken',
  'ConditionalRequestConflict',
  'TimeoutError',
  'OperationAborted',
]);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The S3 error code (`NoSuchKey`, `PreconditionFailed`...) or SDK error name. */
export function s3ErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { Code?: unknown; name?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  return typeof e.name === 'string' ? e.name : undefined;
}

/** The HTTP status of an SDK error, if it got a response. */
export function s3HttpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const meta = (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

/**
 * Whether the error is "the object does not exist" (GetObject NoSuchKey,
 * HeadObject's body-less 404).
 *
 * @example
 * ```ts
 * catch (err) { if (isS3NotFound(err)) return undefined; throw err; }
 * ```
 */
export function isS3NotFound(err: unknown): boolean {
  const code = s3ErrorCode(err);
  return code === 'NoSuchKey' || code === 'NotFound' || (s3HttpStatus(err) === 404 && code !== 'NoSuchBucket' && code !== 'NoSuchUpload');
}

/**
 * Whether the error is a 409 ConditionalRequestConflict: a concurrent
 * operation on the key raced a conditional request; the request may be retried.
 *
 * @example
 * ```ts
 * if (isConditionalConflict(err)) continue; // retry
 * ```
 */
export function isConditionalConflict(err: unknown): boolean {
  return s3ErrorCode(err) === 'ConditionalRequestConflict' || s3HttpStatus(err) === 409;
}

function isAbort(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'name' in err && err.name === 'AbortError';
}

/**
 * What jobkit keeps of an SDK error: its name, message, code and the
 * response's status, request ids and attempt count. Never the rest: on
 * SignatureDoesNotMatch / InvalidAccessKeyId the SDK error carries
 * `AWSAccessKeyId`, `StringToSign` and `CanonicalRequest` (with
 * `x-amz-security-token`), and `$response` holds the raw headers, so a
 * `console.error(err)` of the raw error would print a session token.
 */
export class S3SdkError extends Error {
  /** The S3 error code or SDK error name (`SlowDown`, `ECONNRESET`...). */
  readonly code: string | undefined;
  /** The part of the SDK's `$metadata` that is safe to print. */
  readonly $metadata: { readonly httpStatusCode?: number; readonly requestId?: string; readonly extendedRequestId?: string; readonly attempts?: number };

  constructor(err: unknown) {
    const source = (typeof err === 'object' && err !== null ? err : {}) as {
      name?: unknown;
      message?: unknown;
      $metadata?: { httpStatusCode?: unknown; requestId?: unknown; extendedRequestId?: unknown; attempts?: unknown };
    };
    super(typeof source.message === 'string' ? source.message : String(err));
    this.name = typeof source.name === 'string' ? source.name : 'S3SdkError';
    this.code = s3ErrorCode(err) ?? errnoCode(err);
    const meta = source.$metadata;
    this.$metadata = {
      ...(typeof meta?.httpStatusCode === 'number' ? { httpStatusCode: meta.httpStatusCode } : {}),
      ...(typeof meta?.requestId === 'string' ? { requestId: meta.requestId } : {}),
      ...(typeof meta?.extendedRequestId === 'string' ? { extendedRequestId: meta.extendedRequestId } : {}),
      ...(typeof meta?.attempts === 'number' ? { attempts: meta.attempts } : {}),
    };
  }
}

function describe(ctx: S3ErrorContext): string {
  return ctx.key === undefined ? `S3 ${ctx.operation} on ${ctx.storeUrl}` : `S3 ${ctx.operation} of "${ctx.key}" in ${ctx.storeUrl}`;
}

/**
 * Map an SDK error (after the SDK's own retries) to a jobkit error. Aborts
 * (the caller's signal) pass through unchanged; unknown errors too, for the
 * runtime's classifier.
 *
 * @example
 * ```ts
 * try { await client.send(cmd); } catch (err) { throw mapS3Error(err, { operation: 'PutObject', storeUrl, bucket, key }); }
 * ```
 */
export function mapS3Error(err: unknown, ctx: S3ErrorContext): unknown {
  if (isAbort(err) || err instanceof PreconditionFailedError || err instanceof ConfigurationError || err instanceof RetryableError) {
    return err;
  }
  const code = s3ErrorCode(err);
  const status = s3HttpStatus(err);
  const what = describe(ctx);
  const cause = new S3SdkError(err);
  const options = { cause };
  if (ctx.conditional === true && ctx.key !== undefined && (code === 'PreconditionFailed' || status === 412 || isS3NotFound(err))) {
    return new PreconditionFailedError(ctx.key, undefined, options);
  }
  if (code === 'NoSuchBucket') {
    return new ConfigurationError(`${what} failed: bucket "${ctx.bucket}" does not exist (JOBKIT_STORE=${ctx.storeUrl})`, options);
  }
  if (code === 'NotImplemented' || status === 501) {
    return new S3UnsupportedError(`${what} failed: the server does not implement this request (${code ?? status}); JOBKIT_STORE=${ctx.storeUrl}`, options);
  }
  if (code !== undefined && CONFIGURATION_CODES.has(code)) {
    return new ConfigurationError(
      `${what} failed with ${code}: check the bucket name, region and the credentials/permissions for bucket "${ctx.bucket}" (JOBKIT_STORE=${ctx.storeUrl})`,
      options,
    );
  }
  if (status === 403) {
    return new ConfigurationError(`${what} was denied (403): check the permissions for bucket "${ctx.bucket}" (JOBKIT_STORE=${ctx.storeUrl})`, options);
  }
  if (
    (code !== undefined && RETRYABLE_CODES.has(code)) ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    NETWORK_CODES.has(errnoCode(err) ?? '')
  ) {
    const attempts = cause.$metadata.attempts;
    const tries = attempts === undefined ? '' : ` after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    return new RetryableError(`${what} failed${tries}: ${code ?? errnoCode(err) ?? `HTTP ${status}`}`, options);
  }
  // Unknown: the classifier decides on the name and code, which the safe copy keeps.
  return cause;
}
