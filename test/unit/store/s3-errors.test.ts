import { describe, expect, it } from 'vitest';
import { ConfigurationError, RetryableError } from '../../../src/runtime/errors.ts';
import { PreconditionFailedError } from '../../../src/store/errors.ts';
import { S3SdkError, mapS3Error, S3UnsupportedError } from '../../../src/store/s3-errors.ts';

const ctx = { operation: 'PutObject', storeUrl: 's3://data-bucket/jobs', bucket: 'data-bucket', key: 'a/b' };

function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} message`), { name, ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }), ...extra });
}

describe('mapS3Error', () => {
  it('maps a failed condition (412, or 404 on If-Match) to PreconditionFailedError on the key', () => {
    const e412 = mapS3Error(sdkError('PreconditionFailed', 412), { ...ctx, conditional: true });
    expect(e412).toBeInstanceOf(PreconditionFailedError);
    expect((e412 as PreconditionFailedError).key).toBe('a/b');
    expect(mapS3Error(sdkError('NoSuchKey', 404), { ...ctx, conditional: true })).toBeInstanceOf(PreconditionFailedError);
  });

  it.each([
    ['NoSuchBucket', 404],
    ['AccessDenied', 403],
    ['InvalidAccessKeyId', 403],
    ['SignatureDoesNotMatch', 403],
    ['CredentialsProviderError', undefined],
  ])('maps %s to a ConfigurationError naming the bucket and store URL', (name, status) => {
    const err = mapS3Error(sdkError(name, status), ctx);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain('data-bucket');
    expect((err as Error).message).toContain('JOBKIT_STORE=s3://data-bucket/jobs');
    expect((err as Error).cause).toBeDefined();
  });

  it.each([
    ['SlowDown', 503],
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
    ['ConditionalRequestConflict', 409],
    ['TooManyRequestsException', 429],
    ['TimeoutError', undefined],
  ])('maps %s to a RetryableError', (name, status) => {
    expect(mapS3Error(sdkError(name, status), ctx)).toBeInstanceOf(RetryableError);
  });

  it('maps network failures to a RetryableError', () => {
    expect(mapS3Error(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), ctx)).toBeInstanceOf(RetryableError);
  });

  it('maps NotImplemented to S3UnsupportedError (a ConfigurationError)', () => {
    const err = mapS3Error(sdkError('NotImplemented', 501), ctx);
    expect(err).toBeInstanceOf(S3UnsupportedError);
    expect(err).toBeInstanceOf(ConfigurationError);
  });

  it('passes aborts through unchanged, and unknown client errors as a safe copy (name, code, status)', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(mapS3Error(abort, ctx)).toBe(abort);
    const weird = Object.assign(sdkError('InvalidArgument', 400), { CanonicalRequest: 'x-amz-security-token:SECRET' });
    const mapped = mapS3Error(weird, ctx);
    expect(mapped).toBeInstanceOf(S3SdkError);
    expect(mapped).toMatchObject({ name: weird.name, code: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
    expect(JSON.stringify(mapped)).not.toContain('SECRET');
  });
});
