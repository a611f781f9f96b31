import { describe, expect, it } from 'vitest';
import { checkpointOptionsFromEnv } from '../../../src/checkpoint/config.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';

describe('checkpointOptionsFromEnv', () => {
  it('leaves everything to the defaults when nothing is set', () => {
    expect(checkpointOptionsFromEnv({})).toEqual({});
  });

  it('reads every variable into its option', () => {
    expect(
      checkpointOptionsFromEnv({
        JOBKIT_CHECKPOINT_SCOPE: 'nightly-etl',
        JOBKIT_CHECKPOINT_KEEP: '5',
        JOBKIT_CHECKPOINT_EVERY_ITEMS: '1000',
        JOBKIT_CHECKPOINT_EVERY_SECONDS: '30',
        JOBKIT_CHECKPOINT_PART_SIZE_MB: '32',
        JOBKIT_CHECKPOINT_CONCURRENCY: '8',
        JOBKIT_CHECKPOINT_CHECKSUM: 'crc32',
        JOBKIT_CHECKPOINT_FINAL_SAVE_SECONDS: '12.5',
      }),
    ).toEqual({
      scope: 'nightly-etl',
      keep: 5,
      saveEvery: { items: 1000, seconds: 30 },
      partSize: 32 * 2 ** 20,
      concurrency: 8,
      checksum: 'crc32',
      finalSave: { budgetMs: 12_500 },
    });
  });

  it('gives the final save 60% of the grace period by default, and 0 disables it', () => {
    expect(checkpointOptionsFromEnv({ JOBKIT_GRACE_PERIOD_SECONDS: '15' }).finalSave).toEqual({ budgetMs: 9000 });
    expect(checkpointOptionsFromEnv({ JOBKIT_CHECKPOINT_FINAL_SAVE_SECONDS: '0' }).finalSave).toBe(false);
  });

  it('names the variable and the value when a value is bad', () => {
    expect(() => checkpointOptionsFromEnv({ JOBKIT_CHECKPOINT_KEEP: '0' })).toThrow(ConfigurationError);
    expect(() => checkpointOptionsFromEnv({ JOBKIT_CHECKPOINT_KEEP: '0' })).toThrow(/JOBKIT_CHECKPOINT_KEEP.*"0"/);
    expect(() => checkpointOptionsFromEnv({ JOBKIT_CHECKPOINT_PART_SIZE_MB: '1' })).toThrow(/JOBKIT_CHECKPOINT_PART_SIZE_MB.*"1"/);
    expect(() => checkpointOptionsFromEnv({ JOBKIT_CHECKPOINT_CHECKSUM: 'md5' })).toThrow(/JOBKIT_CHECKPOINT_CHECKSUM.*"md5"/);
  });
});
