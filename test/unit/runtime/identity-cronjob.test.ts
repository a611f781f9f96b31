/**
 * A CronJob run's identity: the CronJob name (a literal in the template), the
 * scheduled time (explicit, or read from the Job name the controller gives)
 * and the trigger.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { resolveIdentity, scheduledTimeFromJobName } from '../../../src/runtime/identity.ts';

const k8s = (env: Record<string, string>): NodeJS.ProcessEnv => ({ JOBKIT_PLATFORM: 'kubernetes', JOBKIT_NAMESPACE: 'data', ...env });

describe('identity of a CronJob run', () => {
  it.each([
    ['a scheduled run: <cronjob>-<minutes>', { JOBKIT_JOB_NAME: 'report-29453761', JOBKIT_CRONJOB_NAME: 'report' }, 'report', '2026-01-01T00:01:00.000Z', 'schedule'],
    ['a manual run: kubectl create job rerun --from=cronjob/report', { JOBKIT_JOB_NAME: 'report-rerun', JOBKIT_CRONJOB_NAME: 'report' }, 'report', undefined, 'manual'],
    ['a manual run whose name has digits but not after the CronJob name', { JOBKIT_JOB_NAME: 'billing-29453761', JOBKIT_CRONJOB_NAME: 'report' }, 'report', undefined, 'manual'],
    ['a leading zero is not the controller suffix', { JOBKIT_JOB_NAME: 'report-029453761', JOBKIT_CRONJOB_NAME: 'report' }, 'report', undefined, 'manual'],
    ['a CronJob name with dashes', { JOBKIT_JOB_NAME: 'nightly-report-29453761', JOBKIT_CRONJOB_NAME: 'nightly-report' }, 'nightly-report', '2026-01-01T00:01:00.000Z', 'schedule'],
    ['a plain Job whose name looks scheduled', { JOBKIT_JOB_NAME: 'report-29453761' }, undefined, undefined, 'none'],
    ['an explicit scheduled time with an offset', { JOBKIT_JOB_NAME: 'x', JOBKIT_SCHEDULED_TIME: '2026-11-30T03:00:00+01:00' }, undefined, '2026-11-30T02:00:00.000Z', 'schedule'],
    ['an explicit time wins over the name', { JOBKIT_JOB_NAME: 'report-29453761', JOBKIT_CRONJOB_NAME: 'report', JOBKIT_SCHEDULED_TIME: '2026-01-01T00:01:30Z' }, 'report', '2026-01-01T00:01:30.000Z', 'schedule'],
    ['an explicit trigger', { JOBKIT_JOB_NAME: 'x', JOBKIT_TRIGGER: 'manual' }, undefined, undefined, 'manual'],
  ])('%s', (_name, env, cronJobName, scheduled, trigger) => {
    const identity = resolveIdentity(k8s(env));
    expect(identity.cronJobName).toBe(cronJobName);
    expect(identity.scheduledTime?.toISOString()).toBe(scheduled);
    expect(identity.trigger).toBe(trigger);
  });

  it('code options win over the environment', () => {
    const identity = resolveIdentity(k8s({ JOBKIT_JOB_NAME: 'report-29453761', JOBKIT_CRONJOB_NAME: 'report' }), {
      cronJobName: 'other',
      scheduledTime: new Date('2026-02-01T00:00:00Z'),
      trigger: 'manual',
    });
    expect([identity.cronJobName, identity.scheduledTime?.toISOString(), identity.trigger]).toEqual(['other', '2026-02-01T00:00:00.000Z', 'manual']);
  });

  it.each([
    [{ JOBKIT_SCHEDULED_TIME: 'yesterday' }, 'JOBKIT_SCHEDULED_TIME must be an RFC 3339 time with a zone, e.g. 2026-11-30T02:00:00Z, got "yesterday"'],
    [{ JOBKIT_SCHEDULED_TIME: '2026-11-30T02:00:00' }, 'JOBKIT_SCHEDULED_TIME must be an RFC 3339 time with a zone'],
    [{ JOBKIT_SCHEDULED_TIME: '2026-13-30T02:00:00Z' }, 'JOBKIT_SCHEDULED_TIME must be an RFC 3339 time with a zone'],
    [{ JOBKIT_TRIGGER: 'cron' }, 'JOBKIT_TRIGGER must be one of schedule, manual, none, got "cron"'],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => resolveIdentity(k8s(env))).toThrow(ConfigurationError);
    expect(() => resolveIdentity(k8s(env))).toThrow(message);
  });

  it('refuses a bad code option', () => {
    expect(() => resolveIdentity({}, { scheduledTime: new Date('nope') })).toThrow('option scheduledTime must be a valid Date');
    expect(() => resolveIdentity({}, { cronJobName: ' ' })).toThrow('option cronJobName must be a non-empty string');
  });

  it('reads the controller suffix only', () => {
    expect(scheduledTimeFromJobName('a-1', 'a')?.toISOString()).toBe('1970-01-01T00:01:00.000Z');
    expect(scheduledTimeFromJobName('a-', 'a')).toBeUndefined();
    expect(scheduledTimeFromJobName('ab-1', 'a')).toBeUndefined();
  });
});
