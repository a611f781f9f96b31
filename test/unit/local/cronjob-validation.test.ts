/**
 * CronJob manifests are refused as the API server refuses them (messages of
 * ValidateCronJobCreate / ValidateCronJobUpdate), and defaulted as
 * SetDefaults_CronJob does.
 */
import { describe, expect, it } from 'vitest';
import { generateCronJobManifest } from '../../../src/local/cronjob/manifest.ts';
import { loadCronJobManifest, patchCronJob } from '../../../src/local/cronjob/read-cronjob.ts';
import { InvalidManifestError } from '../../../src/local/errors.ts';
import { SeededRandom } from '../../../src/local/rng.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';

function manifest(spec: Record<string, unknown> = {}, name = 'report', template: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule: '0 2 * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'i', command: ['true'] }] } }, ...template } },
      ...spec,
    },
  };
}

const load = (m: object): ReturnType<typeof loadCronJobManifest> => loadCronJobManifest(m, { random: new SeededRandom(1), now: new Date('2026-01-01T00:00:00Z') });

function refusal(m: object): string {
  try {
    load(m);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidManifestError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('CronJob validation (create)', () => {
  it.each([
    [{ schedule: '' }, 'report', 'spec.schedule: Required value'],
    [{ schedule: '* * * *' }, 'report', 'spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]'],
    [{ schedule: '0 0 * * 7' }, 'report', 'spec.schedule: Invalid value: "0 0 * * 7": end of range (7) above maximum (6): 7'],
    [{ schedule: 'TZ=UTC 0 2 * * *' }, 'report', 'spec.schedule: Invalid value: "TZ=UTC 0 2 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    [{ schedule: 'CRON_TZ=Europe/Berlin 0 2 * * *' }, 'report', 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    [{ timeZone: 'Mars/Olympus' }, 'report', 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'],
    [{ timeZone: '' }, 'report', 'spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string'],
    [{ timeZone: 'Local' }, 'report', 'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'],
    [{ timeZone: '../etc/passwd' }, 'report', 'spec.timeZone: Invalid value: "../etc/passwd": unknown time zone ../etc/passwd'],
    [{ concurrencyPolicy: 'Sometimes' }, 'report', 'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'],
    [{ startingDeadlineSeconds: -1 }, 'report', 'spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0'],
    [{ successfulJobsHistoryLimit: -1 }, 'report', 'spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0'],
    [{}, 'a'.repeat(53), `metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`],
    [{}, 'Report', 'metadata.name: Invalid value: "Report": a lowercase RFC 1123 subdomain'],
  ])('%j name %s: %s', (spec, name, message) => {
    const text = refusal(manifest(spec, name));
    expect(text.startsWith(`CronJob.batch "${name}" is invalid: `)).toBe(true);
    expect(text).toContain(message);
  });

  it('checks the job template as the Job it becomes, under spec.jobTemplate', () => {
    expect(refusal(manifest({}, 'report', { selector: { matchLabels: { a: 'b' } } }))).toContain('spec.jobTemplate.spec.selector: Invalid value: `selector` will be auto-generated');
    expect(refusal(manifest({}, 'report', { manualSelector: true }))).toContain('spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"');
    expect(refusal(manifest({}, 'report', { backoffLimit: -1 }))).toContain('spec.jobTemplate.spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0');
    const always = manifest();
    ((always['spec'] as Record<string, Record<string, Record<string, Record<string, Record<string, unknown>>>>>).jobTemplate!.spec!.template!.spec!).restartPolicy = 'Always';
    expect(refusal(always)).toContain('spec.jobTemplate.spec.template.spec.restartPolicy: ');
  });

  it('reports every error at once, in the API server order', () => {
    const text = refusal(manifest({ schedule: 'TZ=UTC x', startingDeadlineSeconds: -5, concurrencyPolicy: 'No' }, 'b'.repeat(60)));
    const fields = [...text.matchAll(/(spec\.[a-zA-Z]+|metadata\.name): /g)].map((m) => m[1]);
    expect(fields).toEqual(['spec.schedule', 'spec.schedule', 'spec.startingDeadlineSeconds', 'spec.concurrencyPolicy', 'metadata.name']);
  });

  it('applies the defaults of SetDefaults_CronJob', () => {
    const cronJob = load(manifest());
    expect(cronJob.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(cronJob.metadata).toMatchObject({ namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' });
    expect(load(manifest({ successfulJobsHistoryLimit: 0 })).spec.successfulJobsHistoryLimit).toBe(0);
  });
});

describe('CronJob validation (update, --patch)', () => {
  it('allows TZ in the schedule only when the old schedule had it, and never with timeZone', () => {
    const cronJob = load(manifest());
    expect(() => patchCronJob(cronJob, { spec: { schedule: 'TZ=UTC 0 3 * * *' } }, new SeededRandom(2))).toThrow(/cannot use TZ or CRON_TZ in schedule, use timeZone field instead/);
    // An old CronJob created before the rule (its schedule already has TZ) stays editable.
    const legacy = { ...cronJob, spec: { ...cronJob.spec, schedule: 'TZ=UTC 0 2 * * *' } };
    expect(patchCronJob(legacy, { spec: { schedule: 'TZ=UTC 0 4 * * *' } }, new SeededRandom(2)).spec.schedule).toBe('TZ=UTC 0 4 * * *');
    expect(() => patchCronJob(legacy, { spec: { timeZone: 'Europe/Berlin' } }, new SeededRandom(2))).toThrow(/cannot use both timeZone field and TZ or CRON_TZ in schedule/);
  });

  it('keeps uid, creation time and status; skips the 52-character limit', () => {
    const cronJob = { ...load(manifest()), status: { lastScheduleTime: '2026-01-01T02:00:00Z' } };
    const patched = patchCronJob(cronJob, { spec: { suspend: true } }, new SeededRandom(2));
    expect(patched.spec.suspend).toBe(true);
    expect(patched.metadata.uid).toBe(cronJob.metadata.uid);
    expect(patched.metadata.creationTimestamp).toBe(cronJob.metadata.creationTimestamp);
    expect(patched.status).toEqual(cronJob.status);
    expect(() => patchCronJob(cronJob, { metadata: { name: 'other' } }, new SeededRandom(2))).toThrow(/field is immutable/);
  });
});

describe('jobkit manifest --schedule', () => {
  it('wraps the Job template: Forbid and Etc/UTC by default, JOBKIT_CRONJOB_NAME in the pod env', () => {
    const cronJob = generateCronJobManifest({ name: 'nightly-report', image: 'acme/report:1', command: ['node', 'main.js'], schedule: '0 2 * * *' });
    const spec = cronJob['spec'] as Record<string, unknown> & { jobTemplate: { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } } };
    expect(spec).toMatchObject({ schedule: '0 2 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
    const env = spec.jobTemplate.spec.template.spec.containers[0]!.env;
    expect(env.find((e) => e.name === 'JOBKIT_CRONJOB_NAME')).toEqual({ name: 'JOBKIT_CRONJOB_NAME', value: 'nightly-report' });
    expect(load(cronJob).spec.concurrencyPolicy).toBe('Forbid');
  });

  it('refuses with the API server message', () => {
    const make = (extra: Record<string, unknown>): unknown => generateCronJobManifest({ name: 'r', image: 'i', command: ['x'], schedule: '0 2 * * *', ...extra });
    expect(() => make({ schedule: '61 * * * *' })).toThrow(ConfigurationError);
    expect(() => make({ schedule: '61 * * * *' })).toThrow('spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61');
    expect(() => make({ timeZone: 'Europe/Atlantis' })).toThrow('unknown time zone Europe/Atlantis');
    expect(() => make({ name: 'n'.repeat(53) })).toThrow('must be no more than 52 characters');
  });
});
