import { describe, expect, it } from 'vitest';
import { idempotencyOptionsFromEnv } from '../../../src/idempotency/config.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';

describe('idempotencyOptionsFromEnv', () => {
  it('reads every variable, in milliseconds where the option is', () => {
    expect(
      idempotencyOptionsFromEnv({
        JOBKIT_IDEMPOTENCY_SCOPE: 'nightly',
        JOBKIT_IDEMPOTENCY_LEASE_SECONDS: '30',
        JOBKIT_IDEMPOTENCY_TTL_SECONDS: '86400',
        JOBKIT_IDEMPOTENCY_ON_IN_PROGRESS: 'fail',
        JOBKIT_IDEMPOTENCY_MAX_WAIT_SECONDS: '2.5',
        JOBKIT_IDEMPOTENCY_PERMANENT_ERRORS: 'record',
        JOBKIT_IDEMPOTENCY_CLOCK_SKEW_SECONDS: '1',
      }),
    ).toEqual({
      scope: 'nightly',
      leaseMs: 30_000,
      ttlMs: 86_400_000,
      onInProgress: 'fail',
      maxWaitMs: 2_500,
      permanentErrors: 'record',
      clockSkewMarginMs: 1_000,
    });
  });

  it('leaves out what is not set, so code options and defaults apply', () => {
    expect(idempotencyOptionsFromEnv({})).toEqual({});
  });

  it('names the variable and the value when a value is bad', () => {
    expect(() => idempotencyOptionsFromEnv({ JOBKIT_IDEMPOTENCY_LEASE_SECONDS: '-1' })).toThrow(ConfigurationError);
    expect(() => idempotencyOptionsFromEnv({ JOBKIT_IDEMPOTENCY_LEASE_SECONDS: '-1' })).toThrow(/JOBKIT_IDEMPOTENCY_LEASE_SECONDS.*-1/);
    expect(() => idempotencyOptionsFromEnv({ JOBKIT_IDEMPOTENCY_ON_IN_PROGRESS: 'maybe' })).toThrow(/JOBKIT_IDEMPOTENCY_ON_IN_PROGRESS.*maybe/);
  });
});
