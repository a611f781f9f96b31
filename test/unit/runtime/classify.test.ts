import { ExclusiveBusyError } from '../../../src/exclusive/errors.ts';
import { describe, expect, it } from 'vitest';
import { classifyError, exitCodeOf, isTransientError } from '../../../src/runtime/classify.ts';
import {
  ConfigurationError,
  DeadlineExceededError,
  FencedError,
  InterruptedError,
  PermanentError,
  RetryableError,
} from '../../../src/runtime/errors.ts';
import { EXIT_CODE_TABLE } from '../../../src/runtime/exit-codes.ts';
import { PreconditionFailedError } from '../../../src/store/errors.ts';

/** The shape @aws-sdk/client-s3 gives a service error. */
function awsError(name: string, status: number | undefined, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} from S3`), {
    name,
    $fault: status !== undefined && status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'r1', attempts: 3 },
    ...extra,
  });
}

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code, syscall: 'connect' });
}

const busyHolder = { job: 'j', pod: null, podUid: null, node: null, attempt: null, run: 'j', epoch: 1, acquiredAt: 0, expiresAt: 0 };

describe('classifyError: jobkit errors carry their class', () => {
  it.each([
    [new RetryableError('x'), 'retryable', 75],
    [new PermanentError('x'), 'permanent', 65],
    [new ConfigurationError('x'), 'configuration', 78],
    [new InterruptedError('x'), 'interrupted', 143],
    [new DeadlineExceededError('x'), 'deadline', 124],
    [new FencedError('x'), 'fenced', 73],
    [new ExclusiveBusyError('x', busyHolder), 'busy', 69],
    [new PreconditionFailedError('k'), 'crash', 70],
  ])('%s', (error, exitClass, code) => {
    expect(classifyError(error)).toBe(exitClass);
    expect(exitCodeOf(error)).toBe(code);
  });

  it('covers every class of the table', () => {
    const classes = new Set([
      classifyError(new RetryableError('')),
      classifyError(new PermanentError('')),
      classifyError(new ConfigurationError('')),
      classifyError(new InterruptedError('')),
      classifyError(new DeadlineExceededError('')),
      classifyError(new FencedError('')),
      classifyError(new ExclusiveBusyError('', busyHolder)),
      classifyError(new TypeError('')),
    ]);
    expect([...classes, 'success'].sort()).toEqual(EXIT_CODE_TABLE.map((e) => e.exitClass).sort());
  });

  it('a jobkit error wins over its cause', () => {
    expect(classifyError(new PermanentError('bad row', { cause: systemError('ECONNRESET') }))).toBe('permanent');
  });
});

describe('classifyError: AWS SDK errors', () => {
  it.each(['SlowDown', 'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded'])('throttling %s is retryable', (name) => {
    expect(classifyError(awsError(name, 503))).toBe('retryable');
    expect(classifyError(awsError(name, 400))).toBe('retryable');
  });

  it('$retryable is retryable whatever the status', () => {
    expect(classifyError(awsError('Weird', 400, { $retryable: { throttling: true } }))).toBe('retryable');
  });

  it.each([500, 502, 503, 504, 429, 408])('HTTP %i is retryable', (status) => {
    expect(classifyError(awsError('SomeError', status))).toBe('retryable');
  });

  it.each(['AccessDenied', 'NoSuchBucket', 'InvalidAccessKeyId', 'SignatureDoesNotMatch'])('%s is a configuration error', (name) => {
    expect(classifyError(awsError(name, name === 'NoSuchBucket' ? 404 : 403))).toBe('configuration');
  });

  it('HTTP 401/403 without a telling name (HEAD has no body) is a configuration error', () => {
    expect(classifyError(awsError('Forbidden', 403))).toBe('configuration');
    expect(classifyError(awsError('Unauthorized', 401))).toBe('configuration');
  });

  it.each([
    ['NoSuchKey', 404],
    ['InvalidArgument', 400],
    ['EntityTooLarge', 400],
    ['InvalidRange', 416],
  ])('other 4xx %s (%i) is permanent', (name, status) => {
    expect(classifyError(awsError(name, status))).toBe('permanent');
  });

  it('a conditional-write conflict (409 ConditionalRequestConflict) is retryable', () => {
    expect(classifyError(awsError('ConditionalRequestConflict', 409))).toBe('retryable');
  });

  it('no status: server fault is retryable, client fault is a crash', () => {
    expect(classifyError(Object.assign(new Error('x'), { $fault: 'server', $metadata: {} }))).toBe('retryable');
    expect(classifyError(Object.assign(new Error('x'), { $fault: 'client', $metadata: {} }))).toBe('crash');
  });
});

describe('classifyError: Node and undici errors, timeouts', () => {
  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT'])(
    '%s is retryable',
    (code) => {
      expect(classifyError(systemError(code))).toBe('retryable');
    },
  );

  it("fetch's TypeError('fetch failed') with a network cause is retryable", () => {
    expect(classifyError(new TypeError('fetch failed', { cause: systemError('ECONNREFUSED') }))).toBe('retryable');
  });

  it('timeouts and aborts are retryable', () => {
    expect(classifyError(new DOMException('The operation timed out', 'TimeoutError'))).toBe('retryable');
    expect(classifyError(new DOMException('This operation was aborted', 'AbortError'))).toBe('retryable');
    expect(classifyError(Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }))).toBe('retryable');
  });

  it('other system errors (ENOENT, EACCES) are crashes', () => {
    expect(classifyError(systemError('ENOENT'))).toBe('crash');
    expect(classifyError(systemError('EACCES'))).toBe('crash');
  });
});

describe('classifyError: everything else is a crash', () => {
  it.each([
    new TypeError("Cannot read properties of undefined (reading 'id')"),
    new RangeError('Invalid array length'),
    new Error('plain'),
    new SyntaxError('Unexpected token'),
    'a string',
    42,
    undefined,
    null,
    { message: 'not an error' },
  ])('%o', (value) => {
    expect(classifyError(value)).toBe('crash');
    expect(exitCodeOf(value)).toBe(70);
    expect(isTransientError(value)).toBe(false);
  });

  it('a cyclic cause chain does not hang', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(classifyError(a)).toBe('crash');
  });
});

describe('isTransientError', () => {
  it('is true exactly for the retryable class', () => {
    expect(isTransientError(new RetryableError('x'))).toBe(true);
    expect(isTransientError(awsError('SlowDown', 503))).toBe(true);
    expect(isTransientError(awsError('NoSuchKey', 404))).toBe(false);
    expect(isTransientError(new PermanentError('x'))).toBe(false);
  });
});
