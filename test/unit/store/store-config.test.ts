import { describe, expect, it } from 'vitest';
import { storeOptionsFromEnv } from '../../../src/store/config.ts';

describe('storeOptionsFromEnv', () => {
  it('reads JOBKIT_STORE and the S3 tunables', () => {
    expect(storeOptionsFromEnv({ JOBKIT_STORE: 's3://bucket/jobs', JOBKIT_S3_MAX_SOCKETS: '64', JOBKIT_S3_PART_SIZE_MB: '16' })).toEqual({
      url: 's3://bucket/jobs',
      s3: { maxSockets: 64, partSize: 16 * 2 ** 20 },
    });
    expect(storeOptionsFromEnv({})).toEqual({ s3: {} });
  });

  it('refuses bad values naming the variable', () => {
    expect(() => storeOptionsFromEnv({ JOBKIT_S3_MAX_SOCKETS: '0x3' })).toThrow('JOBKIT_S3_MAX_SOCKETS must be an integer >= 1 and <= 4096, got "0x3"');
    expect(() => storeOptionsFromEnv({ JOBKIT_STORE: 'gs://x' })).toThrow(/^JOBKIT_STORE must be/);
  });
});
