/** `job.limiter`: one limiter per name, the Job-wide split from the identity and JOBKIT_PARALLELISM, metrics, refusals. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLimiters } from '../../../src/job/limiters.ts';
import { type JobContext, executeJob } from '../../../src/job/run-job.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { exitCodeFor } from '../../../src/runtime/exit-codes.ts';
import type { JobLogger } from '../../../src/runtime/types.ts';
import { createJobMetrics } from '../../../src/telemetry/metrics.ts';
import { testIdentity } from '../../support/identity.ts';

const quiet: JobLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const silent = new Writable({ write: (_c, _e, cb) => cb() });

function limiters(count = 1, parallelism?: number) {
  const identity = testIdentity({ count });
  const metrics = createJobMetrics({ identity });
  return { metrics, limiter: createLimiters({ identity, log: quiet, signal: new AbortController().signal, metrics, parallelism }) };
}

describe('createLimiters', () => {
  it('returns the same limiter for the same name and options, refuses other options under that name', () => {
    const { limiter } = limiters();
    const a = limiter('api', { ratePerSecond: 5 });
    expect(limiter('api', { ratePerSecond: 5 })).toBe(a);
    expect(() => limiter('api', { ratePerSecond: 6 })).toThrow(ConfigurationError);
    expect(() => limiter('api', { ratePerSecond: 6 })).toThrow(/limiter api exists with other options/);
  });

  it('splits a job-scope budget by min(count, JOBKIT_PARALLELISM)', () => {
    expect(limiters(4).limiter('api', { ratePerSecond: 20, scope: 'job' }).ratePerSecond).toBe(5);
    expect(limiters(10, 4).limiter('api', { ratePerSecond: 20, scope: 'job' }).limit).toMatchObject({ ratePerSecond: 5, sharedBy: 4 });
    expect(limiters(10, 4).limiter('api', { ratePerSecond: 20, scope: 'pod' }).ratePerSecond).toBe(20);
  });

  it('exports wait and throttle counters at 0 and the rate gauge from creation, then counts', async () => {
    const { limiter, metrics } = limiters();
    const api = limiter('api', { ratePerSecond: 1_000 });
    let text = await metrics.registry.metrics();
    expect(text).toContain('jobkit_limiter_wait_seconds_total{limiter="api"} 0');
    expect(text).toContain('jobkit_limiter_throttled_total{limiter="api"} 0');
    expect(text).toContain('jobkit_limiter_rate_per_second{limiter="api"} 1000');
    await api.acquire();
    await api.acquire(); // the bucket is empty now: this one waits about 1 ms
    api.throttled();
    text = await metrics.registry.metrics();
    expect(text).toContain('jobkit_limiter_throttled_total{limiter="api"} 1');
    expect(text).toContain('jobkit_limiter_rate_per_second{limiter="api"} 500');
    expect(text).toMatch(/jobkit_limiter_wait_seconds_total\{limiter="api"\} 0\.\d+/);
  });

  it('refuses bad names, bad options and too many names', () => {
    const { limiter } = limiters();
    expect(() => limiter('https://api.example.com/v1', { ratePerSecond: 1 })).toThrow(/limiter name must be a short label/);
    expect(() => limiter('api', { ratePerSecond: -1 })).toThrow('limiter api option ratePerSecond must be a number > 0, got -1');
    for (let i = 0; i < 32; i++) limiter(`l${i}`, { ratePerSecond: 1 });
    expect(() => limiter('one-more', { ratePerSecond: 1 })).toThrow(/at most 32 limiters/);
  });
});

describe('job.limiter under runJob', () => {
  const env = { JOBKIT_JOB_NAME: 'lim', JOBKIT_INDEX: '1', JOBKIT_COUNT: '8', JOBKIT_PARALLELISM: '2', JOBKIT_GRACE_PERIOD_SECONDS: '5' };
  const run = (main: (job: JobContext) => Promise<void> | void, extra: Record<string, string> = {}) =>
    executeJob(main, { env: { ...env, ...extra }, logger: { destination: silent }, attempts: false });

  it('is on job, split by JOBKIT_PARALLELISM', async () => {
    let rate = 0;
    expect(await run((job) => void (rate = job.limiter('api', { ratePerSecond: 20, scope: 'job' }).ratePerSecond))).toBe(0);
    expect(rate).toBe(10);
  });

  it('a bad option at call time ends the run with the configuration exit code (78)', async () => {
    expect(await run((job) => void job.limiter('api', { ratePerSecond: 0 }))).toBe(78);
  });

  it('a wait stops when the job is stopped (here by its deadline)', async () => {
    let caught: unknown;
    const code = await run(
      async (job) => {
        // 100 s until the first token: only the job's signal can end this wait.
        await job.limiter('slow', { ratePerSecond: 0.01 }).acquire().catch((err: unknown) => {
          caught = err;
          throw err;
        });
      },
      { JOBKIT_DEADLINE_SECONDS: '0.2' },
    );
    expect(code).toBe(exitCodeFor('deadline'));
    expect(caught).toBeDefined();
  });
});
