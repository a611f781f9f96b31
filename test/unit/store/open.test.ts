import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { FsStore } from '../../../src/store/fs.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { DeferredStore } from '../../../src/store/deferred.ts';
import { openStore, resolveStoreUrl } from '../../../src/store/open.ts';
import { s3TuningFromEnv } from '../../../src/store/s3-config.ts';
import { S3Store } from '../../../src/store/s3.ts';

function configError(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('openStore', () => {
  it('defaults to ./.jobkit/store under the working directory', () => {
    expect(resolveStoreUrl(undefined, { env: {}, cwd: '/work/job' })).toBe('file:///work/job/.jobkit/store');
    const store = openStore(undefined, { env: {}, cwd: '/work/job' });
    expect(store).toBeInstanceOf(FsStore);
    expect((store as FsStore).root).toBe('/work/job/.jobkit/store');
  });

  it('reads JOBKIT_STORE, and an explicit URL wins over it', () => {
    const env = { JOBKIT_STORE: 'memory://from-env' };
    expect(openStore(undefined, { env }).url).toBe('memory://from-env');
    expect(openStore('memory://from-code', { env }).url).toBe('memory://from-code');
  });

  it('opens file URLs: absolute, and ./relative to cwd', () => {
    expect((openStore('file:///var/lib/jobkit', { env: {} }) as FsStore).root).toBe('/var/lib/jobkit');
    expect((openStore('file://./data/store', { env: {}, cwd: '/srv' }) as FsStore).root).toBe('/srv/data/store');
  });

  it('opens memory stores, named ones shared', async () => {
    const a = openStore('memory://shared-open-test', { env: {} });
    const b = openStore('memory://shared-open-test', { env: {} });
    expect(a).toBeInstanceOf(MemoryStore);
    await a.put('k', 'v');
    expect(await b.head('k')).toBeDefined();
    expect(openStore('memory://', { env: {} }).url).toBe('memory://');
    MemoryStore.clear('shared-open-test');
  });

  it('opens s3 URLs with bucket and prefix, loading the S3 backend only at the first operation', async () => {
    const store = openStore('s3://my-bucket/team/jobs/', {
      env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', JOBKIT_S3_CHECKSUMS: 'WHEN_REQUIRED' },
      s3: { maxSockets: 8 },
    });
    expect(store).toBeInstanceOf(DeferredStore);
    expect(store.url).toBe('s3://my-bucket/team/jobs');
    expect((store as DeferredStore).loaded).toBe(false);
    // Closing a store never used loads nothing.
    await store.close();
    expect((store as DeferredStore).loaded).toBe(false);
    expect(openStore('s3://my-bucket', { env: {} }).url).toBe('s3://my-bucket');
  });

  it('checks S3 settings when the s3 store is opened, not at its first operation', () => {
    expect(configError(() => openStore('s3://my-bucket', { env: { JOBKIT_S3_MAX_SOCKETS: '0' } })).message).toContain('JOBKIT_S3_MAX_SOCKETS');
    expect(configError(() => openStore('s3://my-bucket', { env: {}, s3: { partSize: 1 } })).message).toContain('partSize');
    expect(configError(() => openStore('s3://my-bucket', { env: {}, s3: { sseKmsKeyId: 'k' } })).message).toContain('JOBKIT_S3_SSE_KMS_KEY_ID');
  });

  it.each([
    ['ftp://host/x', /unknown scheme "ftp:"/],
    ['s3:///prefix-only', /bucket is missing/],
    ['s3://UPPER_case/x', /invalid S3 bucket name/],
    ['s3://bucket/a/../b', /the prefix has an empty, "." or ".." segment/],
    ['s3://bucket:9000/x', /invalid S3 bucket name/],
    ['file://remote-host/x', /local path/],
    ['file:///', /absolute directory/],
    ['/just/a/path', /no scheme|unknown scheme/],
    ['memory://x?y=1', /no query/],
  ])('rejects %s with a ConfigurationError naming JOBKIT_STORE', (url, why) => {
    const err = configError(() => openStore(url, { env: {} }));
    expect(err.message).toMatch(why);
    expect(err.message).toMatch(/JOBKIT_STORE/);
  });

  it('never repeats credentials found in the URL', () => {
    const err = configError(() => openStore('s3://AKIAEXAMPLE:topsecret@bucket/x', { env: {} }));
    expect(err.message).not.toContain('topsecret');
    expect(err.message).not.toContain('AKIAEXAMPLE');
    expect(err.message).toContain('credentials do not belong in the URL');
  });

  it.each(['s3://bucket/%zz', 'file:///tmp/jobkit-%zz', 'file://./data/%E0%A4%A', 'memory://%zz'])(
    'calls a malformed percent-escape in %s a configuration error (exit 78), not a crash',
    (url) => {
      const err = configError(() => openStore(url, { env: {} }));
      expect(err.message).toContain('malformed percent-escape');
      expect(err.exitCode).toBe(78);
    },
  );
});

describe('S3 settings from the environment', () => {
  it('reads the JOBKIT_S3_* variables and the endpoint chain', () => {
    expect(
      s3TuningFromEnv({
        AWS_ENDPOINT_URL: 'http://generic:1',
        AWS_ENDPOINT_URL_S3: 'http://s3-specific:2',
        AWS_DEFAULT_REGION: 'ap-south-1',
        JOBKIT_S3_FORCE_PATH_STYLE: 'false',
        JOBKIT_S3_CHECKSUMS: 'WHEN_REQUIRED',
        JOBKIT_S3_SSE: 'aws:kms',
        JOBKIT_S3_SSE_KMS_KEY_ID: 'alias/jobs',
        JOBKIT_S3_MAX_SOCKETS: '16',
        JOBKIT_S3_PART_SIZE_MB: '16',
        JOBKIT_S3_UPLOAD_CONCURRENCY: '8',
      }),
    ).toEqual({
      endpoint: 'http://s3-specific:2',
      region: 'ap-south-1',
      forcePathStyle: false,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      serverSideEncryption: 'aws:kms',
      sseKmsKeyId: 'alias/jobs',
      maxSockets: 16,
      partSize: 16 * 1024 * 1024,
      uploadConcurrency: 8,
    });
    expect(s3TuningFromEnv({ JOBKIT_S3_ENDPOINT: 'https://minio:9000', AWS_ENDPOINT_URL_S3: 'http://x:1' }).endpoint).toBe('https://minio:9000');
  });

  it.each([
    ['JOBKIT_S3_CHECKSUMS', 'SOMETIMES'],
    ['JOBKIT_S3_MAX_SOCKETS', '0'],
    ['JOBKIT_S3_PART_SIZE_MB', '4'],
    ['JOBKIT_S3_MAX_ATTEMPTS', '0x3'],
    ['JOBKIT_S3_MAX_SOCKETS', '1e1'],
    ['JOBKIT_S3_FORCE_PATH_STYLE', 'maybe'],
    ['JOBKIT_S3_SSE', 'rot13'],
    ['AWS_ENDPOINT_URL_S3', 'not a url'],
  ])('rejects %s=%s naming the variable and value', (variable, value) => {
    const err = configError(() => s3TuningFromEnv({ [variable]: value }));
    expect(err.message).toContain(variable);
    expect(err.message).toContain(JSON.stringify(value));
  });

  it('redacts credentials in a bad endpoint', () => {
    const err = configError(() => s3TuningFromEnv({ AWS_ENDPOINT_URL: 'ftp://user:hunter2@host' }));
    expect(err.message).not.toContain('hunter2');
  });

  it('refuses a KMS key without KMS encryption', () => {
    expect(() => new S3Store({ bucket: 'b-b', sseKmsKeyId: 'k' })).toThrow(ConfigurationError);
  });
});
