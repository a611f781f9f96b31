/**
 * The classifier: which exit class an arbitrary thrown value belongs to.
 *
 * jobkit errors carry their class. Everything else is recognised by shape, not
 * by `instanceof`, because AWS SDK and undici errors come from packages (and
 * sometimes duplicated copies of them) jobkit does not control:
 * - AWS SDK v3 service errors: `$metadata.httpStatusCode`, `$retryable`, `name`;
 * - Node system errors: `code` (`ECONNRESET`, `UND_ERR_SOCKET`...), also when
 *   wrapped as the `cause` of fetch's `TypeError: fetch failed`;
 * - timeouts and aborts: `name` `TimeoutError` / `AbortError`.
 * Anything unrecognised is a crash (70): a bug should be loud, not retried.
 */
import { type ExitClass, exitCodeFor } from './exit-codes.ts';
import { JobkitError } from './errors.ts';

/** Error names (AWS SDK and S3) that mean "slow down and try again". */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'RequestThrottled',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

/** Other error names that are transient whatever their status code. */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'AbortError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'ServiceUnavailable',
  'ConditionalRequestConflict',
]);

/**
 * Error names that mean the Job's setup is wrong (credentials, permissions,
 * bucket, region): every index would fail the same way.
 */
const CONFIGURATION_NAMES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'AuthorizationHeaderMalformed',
  'NoSuchBucket',
  'InvalidBucketName',
  'PermanentRedirect',
  'CredentialsProviderError',
]);

/** Node system error codes (and undici's) for network trouble worth retrying. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EADDRNOTAVAIL',
  'ABORT_ERR',
]);

/** How deep the `cause` chain is followed (a cycle must not hang the exit path). */
const MAX_CAUSE_DEPTH = 8;

/**
 * The exit class of any thrown value.
 *
 * @example
 * ```ts
 * classifyError(new PermanentError('bad row'));                 // 'permanent'
 * classifyError(Object.assign(new Error('x'), { code: 'ECONNRESET' })); // 'retryable'
 * classifyError({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }); // 'retryable'
 * classifyError(new TypeError('x is undefined'));                // 'crash'
 * ```
 */
export function classifyError(error: unknown): ExitClass {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isObject(current); depth++) {
    const found = classifyOne(current);
    if (found !== undefined) return found;
    current = current.cause;
  }
  return 'crash';
}

/**
 * The process exit code for any thrown value (see {@link classifyError}).
 *
 * @example
 * ```ts
 * exitCodeOf(new ConfigurationError('JOBKIT_COUNT must be >= 1, got "0"')); // 78
 * ```
 */
export function exitCodeOf(error: unknown): number {
  return exitCodeFor(classifyError(error));
}

/**
 * Whether retrying the same operation may succeed: the error classifies as
 * `retryable`. Used by `retry()` to decide what to retry.
 *
 * @example
 * ```ts
 * if (isTransientError(err)) await sleep(backoff);
 * ```
 */
export function isTransientError(error: unknown): boolean {
  return classifyError(error) === 'retryable';
}

function classifyOne(error: Record<string, unknown>): ExitClass | undefined {
  if (error instanceof JobkitError) return error.exitClass;
  const name = typeof error.name === 'string' ? error.name : undefined;
  const code = typeof error.code === 'string' ? error.code : undefined;

  if (name !== undefined) {
    if (THROTTLING_NAMES.has(name) || TRANSIENT_NAMES.has(name)) return 'retryable';
    if (CONFIGURATION_NAMES.has(name)) return 'configuration';
  }
  if (code !== undefined && (TRANSIENT_CODES.has(code) || code.startsWith('UND_ERR_'))) return 'retryable';

  const metadata = error.$metadata;
  if (isObject(metadata) || error.$retryable !== undefined || error.$fault !== undefined) {
    return classifyAwsError(error, isObject(metadata) ? metadata.httpStatusCode : undefined);
  }
  return undefined;
}

function classifyAwsError(error: Record<string, unknown>, status: unknown): ExitClass {
  if (isObject(error.$retryable)) return 'retryable';
  if (typeof status === 'number') {
    if (status === 408 || status === 429 || status >= 500) return 'retryable';
    if (status === 401 || status === 403) return 'configuration';
    if (status >= 400) return 'permanent';
  }
  // No status: the SDK failed before or without a response; `$fault` still says whose fault.
  return error.$fault === 'server' ? 'retryable' : 'crash';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
