/**
 * A CronJob's run as the modules see it: the run id, the key prefixes of the
 * `job`, `run` and `cronjob` scopes (and that no name escapes them), the
 * Pushgateway group of a CronJob, the log fields.
 */
import { describe, expect, it } from 'vitest';
import { recordsPrefix } from '../../../src/idempotency/keys.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { resolveIdentity } from '../../../src/runtime/identity.ts';
import { describeRun } from '../../../src/runtime/run.ts';
import { scopePrefix } from '../../../src/store/keys.ts';
import { resolvePushgatewayConfig } from '../../../src/telemetry/pushgateway.ts';

const scheduled = resolveIdentity({ JOBKIT_PLATFORM: 'kubernetes', JOBKIT_NAMESPACE: 'data', JOBKIT_JOB_NAME: 'report-29453761', JOBKIT_CRONJOB_NAME: 'report' });
const recreated = resolveIdentity({ JOBKIT_PLATFORM: 'kubernetes', JOBKIT_NAMESPACE: 'data', JOBKIT_JOB_NAME: 'report-29453761', JOBKIT_CRONJOB_NAME: 'report', JOBKIT_POD_NAME: 'other-pod' });
const next = resolveIdentity({ JOBKIT_PLATFORM: 'kubernetes', JOBKIT_NAMESPACE: 'data', JOBKIT_JOB_NAME: 'report-29455201', JOBKIT_CRONJOB_NAME: 'report' });
const manual = resolveIdentity({ JOBKIT_PLATFORM: 'kubernetes', JOBKIT_NAMESPACE: 'data', JOBKIT_JOB_NAME: 'report-rerun', JOBKIT_CRONJOB_NAME: 'report' });
const plain = resolveIdentity({ JOBKIT_PLATFORM: 'kubernetes', JOBKIT_NAMESPACE: 'data', JOBKIT_JOB_NAME: 'etl' });

describe('the run', () => {
  it('is the CronJob and its scheduled time for a scheduled run, the Job otherwise', () => {
    expect(describeRun(scheduled)).toEqual({ id: 'report@2026-01-01T00:01:00Z', cronJobName: 'report', scheduledTime: new Date('2026-01-01T00:01:00Z'), trigger: 'schedule' });
    expect(describeRun(manual)).toMatchObject({ id: 'report-rerun', cronJobName: 'report', scheduledTime: undefined, trigger: 'manual' });
    expect(describeRun(plain)).toMatchObject({ id: 'etl', trigger: 'none' });
  });
});

describe('scopes', () => {
  it('job (the default) is the Job; run is the scheduled time; cronjob is every run', () => {
    const prefix = (identity: typeof scheduled, scope?: string): string => scopePrefix(identity, { scope, perIndex: false });
    expect(prefix(scheduled)).toBe('jobs/data/report-29453761');
    expect(prefix(scheduled, 'job')).toBe('jobs/data/report-29453761');
    expect(prefix(scheduled, 'run')).toBe('cronjobs/data/report/runs/1767225660');
    // A Job re-created for the same time shares the run; the next schedule does not.
    expect(prefix(recreated, 'run')).toBe(prefix(scheduled, 'run'));
    expect(prefix(next, 'run')).not.toBe(prefix(scheduled, 'run'));
    // A manual run is its own run.
    expect(prefix(manual, 'run')).toBe('jobs/data/report-rerun');
    expect(prefix(manual, 'cronjob')).toBe('cronjobs/data/report');
    expect(prefix(next, 'cronjob')).toBe('cronjobs/data/report');
    expect(prefix(plain, 'nightly-billing')).toBe('scopes/nightly-billing');
    expect(scopePrefix(scheduled, { scope: 'run', perIndex: true })).toBe('cronjobs/data/report/runs/1767225660/index-0');
    expect(recordsPrefix({ identity: manual, scope: 'cronjob' })).toBe('cronjobs/data/report/idempotency');
  });

  it('cronjob without a CronJob is a configuration error naming JOBKIT_CRONJOB_NAME', () => {
    expect(() => scopePrefix(plain, { scope: 'cronjob', perIndex: false })).toThrow(ConfigurationError);
    expect(() => scopePrefix(plain, { scope: 'cronjob', perIndex: false })).toThrow(/scope "cronjob" needs the CronJob's name \(JOBKIT_CRONJOB_NAME/);
    expect(() => recordsPrefix({ scope: 'run' })).toThrow('option scope "run" is relative to the job: it needs option identity');
  });

  it('a CronJob name never escapes its prefix', () => {
    const evil = resolveIdentity({ JOBKIT_NAMESPACE: 'data', JOBKIT_JOB_NAME: 'x', JOBKIT_CRONJOB_NAME: '../../jobs/other' });
    expect(scopePrefix(evil, { scope: 'cronjob', perIndex: false })).toBe('cronjobs/data/%2E%2E%2F%2E%2E%2Fjobs%2Fother');
  });
});

describe('telemetry of a CronJob run', () => {
  it('pushes every run of a CronJob to one group, named by the CronJob', () => {
    const env = { JOBKIT_PUSHGATEWAY_URL: 'http://pgw:9091' };
    expect(resolvePushgatewayConfig(scheduled, env)?.displayUrl).toBe('http://pgw:9091/metrics/job/report/namespace/data/index/0');
    expect(resolvePushgatewayConfig(manual, env)?.displayUrl).toBe('http://pgw:9091/metrics/job/report/namespace/data/index/0');
    expect(resolvePushgatewayConfig(plain, env)?.displayUrl).toBe('http://pgw:9091/metrics/job/etl/namespace/data/index/0');
  });
});
