import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../../src/runtime/errors.ts';
import { limiterOptionsFromEnv } from '../../../../src/runtime/limiter/config.ts';
import { checkLimiterName, podShare } from '../../../../src/runtime/limiter/options.ts';

describe('podShare: the split rule', () => {
  it('scope pod: the rate is the pod’s own', () => {
    expect(podShare('api', { ratePerSecond: 20 }, { count: 20 })).toEqual({ ratePerSecond: 20, burst: 1, minRatePerSecond: 1, sharedBy: 1 });
  });

  it('scope job: split across count when parallelism is unknown', () => {
    expect(podShare('api', { ratePerSecond: 20, scope: 'job' }, { count: 4 })).toMatchObject({ ratePerSecond: 5, sharedBy: 4, burst: 1 });
  });

  it('scope job: split across min(count, parallelism); the option wins over the env value', () => {
    expect(podShare('api', { ratePerSecond: 20, scope: 'job' }, { count: 10, parallelism: 4 })).toMatchObject({ ratePerSecond: 5, sharedBy: 4 });
    expect(podShare('api', { ratePerSecond: 20, scope: 'job', parallelism: 2 }, { count: 10, parallelism: 4 })).toMatchObject({ ratePerSecond: 10, sharedBy: 2 });
    expect(podShare('api', { ratePerSecond: 20, scope: 'job' }, { count: 2, parallelism: 8 })).toMatchObject({ ratePerSecond: 10, sharedBy: 2 });
  });

  it('20 pods at parallelism 20 never sum above the budget', () => {
    const share = podShare('api', { ratePerSecond: 100, burst: 40, scope: 'job' }, { count: 20, parallelism: 20 });
    expect(share.ratePerSecond * 20).toBeCloseTo(100);
    expect(share.burst).toBe(2);
  });

  it('burst is split but at least 1 per pod; the floor defaults to 5 % of the pod rate', () => {
    expect(podShare('api', { ratePerSecond: 8, burst: 2, scope: 'job' }, { count: 4 })).toEqual({ ratePerSecond: 2, burst: 1, minRatePerSecond: 0.1, sharedBy: 4 });
    expect(podShare('api', { ratePerSecond: 8, minRatePerSecond: 1 }, { count: 1 }).minRatePerSecond).toBe(1);
  });

  it.each([
    [{ ratePerSecond: 0 }, 'limiter api option ratePerSecond must be a number > 0, got 0'],
    [{ ratePerSecond: Number.NaN }, 'limiter api option ratePerSecond must be a number > 0, got NaN'],
    [{} as { ratePerSecond: number }, 'limiter api option ratePerSecond must be a number > 0, got undefined'],
    [{ ratePerSecond: 5, burst: 0.5 }, 'limiter api option burst must be a number >= 1, got 0.5'],
    [{ ratePerSecond: 5, scope: 'cluster' as 'job' }, `limiter api option scope must be one of 'pod', 'job', got "cluster"`],
    [{ ratePerSecond: 5, parallelism: 0 }, 'limiter api option parallelism must be an integer >= 1, got 0'],
    [{ ratePerSecond: 5, minRatePerSecond: 6 }, "limiter api option minRatePerSecond must be at most the pod's rate (5/s), got 6"],
  ])('refuses %j with a ConfigurationError naming the option', (options, message) => {
    expect(() => podShare('api', options, { count: 1 })).toThrow(ConfigurationError);
    expect(() => podShare('api', options, { count: 1 })).toThrow(message);
  });
});

describe('limiter names and env', () => {
  it('accepts short labels and refuses what would blow up a metric label', () => {
    for (const ok of ['api', 'crm.v2', 'stripe:charges', 'A_b-1']) expect(checkLimiterName(ok)).toBe(ok);
    for (const bad of ['', 'https://api.example.com', 'user 42', '1api', 'x'.repeat(65)]) expect(() => checkLimiterName(bad)).toThrow(/limiter name must be a short label/);
  });

  it('reads JOBKIT_PARALLELISM and refuses a bad value naming the variable', () => {
    expect(limiterOptionsFromEnv({})).toEqual({ parallelism: undefined });
    expect(limiterOptionsFromEnv({ JOBKIT_PARALLELISM: '4' })).toEqual({ parallelism: 4 });
    expect(() => limiterOptionsFromEnv({ JOBKIT_PARALLELISM: '0' })).toThrow('JOBKIT_PARALLELISM must be an integer >= 1, got "0"');
  });
});
