/**
 * `jobkit run -f cronjob.yaml`: the real CLI runs CronJob manifests on the
 * virtual clock (and once on the real one); each case asserts the created
 * Jobs' names and annotations, the CronJob's status and the controller's
 * events, as the CronJob controller would leave them.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CronJob } from '../../../src/local/cronjob/types.ts';
import type { Job } from '../../../src/local/types.ts';
import { CLI, type CliResult, cli, removeTempDirs, tempDir } from './harness.ts';

afterAll(removeTempDirs);

interface CronRun extends CliResult {
  readonly cronJob: CronJob;
  readonly jobs: Job[];
  /** `Type Reason` of each controller event, in order. */
  readonly events: string[];
}

function cronJobManifest(spec: Record<string, unknown>, script = 'true', name = 'nightly', template: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      ...spec,
      jobTemplate: {
        metadata: { labels: { team: 'data' }, annotations: { owner: 'ops' } },
        spec: {
          backoffLimit: 0,
          ...template,
          template: {
            spec: {
              restartPolicy: 'Never',
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'main', image: 'node:24', command: ['sh', '-c', script], env: [{ name: 'JOB', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } }] }],
            },
          },
        },
      },
    },
  };
}

async function runCron(manifest: object, args: readonly string[]): Promise<CronRun> {
  const file = join(tempDir(), 'cronjob.json');
  writeFileSync(file, JSON.stringify(manifest));
  const result = await cli(['run', '-f', file, '-o', 'json', '--seed', '3', '--backoff-scale', '0.01', ...args]);
  let cronJob = {} as CronJob;
  let jobs: Job[] = [];
  if (result.stdout.trim() !== '') {
    const list = JSON.parse(result.stdout) as { kind: string; items: [CronJob, ...Job[]] };
    expect(list.kind).toBe('List');
    [cronJob, ...jobs] = list.items;
  }
  const events = [...result.stderr.matchAll(/cronjob\/[a-z0-9-]+: (Normal|Warning) ([A-Za-z]+):/g)].map((m) => `${m[1]} ${m[2]}`);
  return { ...result, cronJob, jobs, events };
}

const minutes = (iso: string): number => Date.parse(iso) / 60_000;
/** `jobkit run` arguments: the virtual clock from `from` until `runs` scheduled Jobs have finished. */
const virtualClock = (from: string, runs: number): string[] => ['--clock', 'virtual', '--from', from, '--runs', String(runs)];
const annotation = (job: Job): string | undefined => job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'];

describe('jobkit run -f cronjob.yaml, virtual clock', () => {
  it('runs an hourly schedule: Job names, annotations, owner, status and events', async () => {
    const r = await runCron(cronJobManifest({ schedule: '0 * * * *' }), ['--clock', 'virtual', '--from', '2026-01-01T00:30:00Z', '--runs', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.jobs.map((j) => j.metadata.name)).toEqual([1, 2, 3].map((h) => `nightly-${minutes(`2026-01-01T0${h}:00:00Z`)}`));
    expect(r.jobs.map(annotation)).toEqual(['2026-01-01T01:00:00Z', '2026-01-01T02:00:00Z', '2026-01-01T03:00:00Z']);
    const job = r.jobs[0]!;
    expect(job.metadata.labels).toMatchObject({ team: 'data' });
    expect(job.metadata.annotations).toMatchObject({ owner: 'ops' });
    expect(job.metadata['ownerReferences']).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: r.cronJob.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    // The Job was created 100 ms after its scheduled time, on the virtual clock.
    expect(job.metadata.creationTimestamp).toBe('2026-01-01T01:00:00Z');
    expect(job.status?.conditions?.at(-1)?.type).toBe('Complete');
    expect(r.cronJob.metadata.creationTimestamp).toBe('2026-01-01T00:30:00Z');
    expect(r.cronJob.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(r.cronJob.status?.active).toBeUndefined();
    expect(r.cronJob.status?.lastScheduleTime).toBe('2026-01-01T03:00:00Z');
    expect(r.cronJob.status?.lastSuccessfulTime?.startsWith('2026-01-01T03:00:')).toBe(true);
    expect(r.events).toEqual(['Normal SuccessfulCreate', 'Normal SawCompletedJob', 'Normal SuccessfulCreate', 'Normal SawCompletedJob', 'Normal SuccessfulCreate', 'Normal SawCompletedJob']);
    expect(r.stderr).toContain('jobkit run: Complete: 3 Jobs (3 Complete), lastScheduleTime 2026-01-01T03:00:00Z');
  });

  it('evaluates the schedule in timeZone, across a DST change, and stamps the zone offset', async () => {
    const r = await runCron(cronJobManifest({ schedule: '0 9 * * *', timeZone: 'Europe/Berlin' }), [
    ...virtualClock('2026-03-28T00:00:00Z', 2),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.jobs.map(annotation)).toEqual(['2026-03-28T09:00:00+01:00', '2026-03-29T09:00:00+02:00']);
    expect(r.jobs.map((j) => j.metadata.name)).toEqual([`nightly-${minutes('2026-03-28T08:00:00Z')}`, `nightly-${minutes('2026-03-29T07:00:00Z')}`]);
  });

  it('suspend and resume: missed times are dropped but the most recent one starts at once on resume', async () => {
    const r = await runCron(cronJobManifest({ schedule: '0 * * * *' }), [
      '--clock',
      'virtual',
      '--from',
      '2026-01-01T00:30:00Z',
      '--until',
      '2026-01-01T06:30:00Z',
      '--patch',
      '2026-01-01T01:30:00Z={"spec":{"suspend":true}}',
      '--patch',
      '2026-01-01T05:30:00Z={"spec":{"suspend":false}}',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.jobs.map(annotation)).toEqual(['2026-01-01T01:00:00Z', '2026-01-01T05:00:00Z', '2026-01-01T06:00:00Z']);
    // The resumed run is created at 05:30, half an hour late.
    expect(r.jobs[1]!.metadata.creationTimestamp).toBe('2026-01-01T05:30:00Z');
    expect(r.cronJob.spec.suspend).toBe(false);
  });

  it('more than 100 missed: TooManyMissedTimes, and still one Job for the most recent time', async () => {
    const r = await runCron(cronJobManifest({ schedule: '* * * * *', suspend: true }), [
      ...virtualClock('2026-01-01T00:00:30Z', 1),
      '--patch',
      '2026-01-01T03:00:30Z={"spec":{"suspend":false}}',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.slice(0, 2)).toEqual(['Warning TooManyMissedTimes', 'Normal SuccessfulCreate']);
    expect(r.jobs.map(annotation)).toEqual(['2026-01-01T03:00:00Z']);
  });

  it('startingDeadlineSeconds: a resume past the deadline skips to the next time', async () => {
    const r = await runCron(cronJobManifest({ schedule: '0 * * * *', suspend: true, startingDeadlineSeconds: 600 }), [
      ...virtualClock('2026-01-01T00:30:00Z', 1),
      '--patch',
      '2026-01-01T01:20:00Z={"spec":{"suspend":false}}',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.jobs.map(annotation)).toEqual(['2026-01-01T02:00:00Z']);
  });

  it('history limits delete the oldest finished Jobs; a failed Job fails the run', async () => {
    const r = await runCron(cronJobManifest({ schedule: '0 * * * *', successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 0 }), [
    ...virtualClock('2026-01-01T00:30:00Z', 3),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const deleted = r.jobs.filter((j) => j.metadata['deletionTimestamp'] !== undefined).map((j) => j.metadata.name);
    expect(deleted).toEqual([r.jobs[0]!.metadata.name, r.jobs[1]!.metadata.name]);
    expect(r.events.filter((e) => e === 'Normal SuccessfulDelete')).toHaveLength(2);

    const failing = await runCron(cronJobManifest({ schedule: '0 * * * *', failedJobsHistoryLimit: 0 }, 'exit 3'), [
    ...virtualClock('2026-01-01T00:30:00Z', 1),
    ]);
    expect(failing.code).toBe(1);
    expect(failing.jobs[0]!.status?.conditions?.at(-1)?.type).toBe('Failed');
    expect(failing.stderr).toContain('jobkit run: Failed: 1 Job (1 Failed)');
    expect(failing.cronJob.status?.lastSuccessfulTime).toBeUndefined();
  });

  it('a manual run next to the schedule: UnexpectedJob while it runs, instantiate manual, no timestamp', async () => {
    const r = await runCron(cronJobManifest({ schedule: '0 * * * *', concurrencyPolicy: 'Forbid' }, 'sleep 1'), [
      ...virtualClock('2026-01-01T00:30:00Z', 1),
      '--manual-run',
      'nightly-rerun@2026-01-01T00:45:00Z',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const manual = r.jobs.find((j) => j.metadata.name === 'nightly-rerun')!;
    expect(manual.metadata.annotations).toEqual({ 'cronjob.kubernetes.io/instantiate': 'manual', owner: 'ops' });
    expect(manual.metadata['ownerReferences']).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: r.cronJob.metadata.uid, controller: true }]);
    expect(r.events).toContain('Warning UnexpectedJob');
    expect(r.jobs.map((j) => j.metadata.name)).toEqual(['nightly-rerun', `nightly-${minutes('2026-01-01T01:00:00Z')}`]);
  });
});

describe.concurrent('jobkit run -f cronjob.yaml, concurrency policies (a Job outlasting a minute)', () => {
  it('Forbid: the next time waits (JobAlreadyActive), then catches up once the Job has finished', async () => {
    // The first Job (00:01) outlasts the next minute; the second exits at once.
    const script = `if [ "$JOB" = "nightly-${minutes('2026-01-01T00:01:00Z')}" ]; then sleep 62; fi`;
    const r = await runCron(cronJobManifest({ schedule: '* * * * *', concurrencyPolicy: 'Forbid' }, script), [
    ...virtualClock('2026-01-01T00:00:59Z', 2),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.slice(0, 4)).toEqual(['Normal SuccessfulCreate', 'Normal JobAlreadyActive', 'Normal SawCompletedJob', 'Normal SuccessfulCreate']);
    expect(r.jobs.map(annotation)).toEqual(['2026-01-01T00:01:00Z', '2026-01-01T00:02:00Z']);
    // Caught up late: created after the first Job completed, not at 00:02:00.
    expect(Date.parse(r.jobs[1]!.metadata.creationTimestamp!)).toBeGreaterThanOrEqual(Date.parse(r.jobs[0]!.status!.completionTime!));
  }, 200_000);

  it('Replace: the running Job is deleted (its pod gets SIGTERM and its grace period) and the next one created', async () => {
    // The first Job (00:01) runs until stopped; the second exits at once.
    const script = `if [ "$JOB" = "nightly-${minutes('2026-01-01T00:01:00Z')}" ]; then trap 'echo got-sigterm; exit 143' TERM; sleep 300 & wait; fi`;
    const r = await runCron(cronJobManifest({ schedule: '* * * * *', concurrencyPolicy: 'Replace' }, script), ['--clock', 'virtual', '--from', '2026-01-01T00:00:59Z', '--runs', '2']);
    // A deleted Job did not complete: the run says so.
    expect(r.code, r.stderr).toBe(1);
    expect(r.events.slice(0, 4)).toEqual(['Normal SuccessfulCreate', 'Normal SuccessfulDelete', 'Normal SuccessfulCreate', 'Normal SawCompletedJob']);
    expect(r.stderr).toMatch(/\[nightly-29453761-[a-z0-9]+\] got-sigterm/);
    expect(r.jobs[0]!.metadata['deletionTimestamp']).toBe('2026-01-01T00:02:00Z');
    expect(r.jobs[1]!.status?.conditions?.at(-1)?.type).toBe('Complete');
    expect(r.stderr).toContain('2 Jobs (1 Deleted, 1 Complete)');
  }, 200_000);
});

describe('jobkit run -f cronjob.yaml, real clock and options', () => {
  it('runs on the real clock (an @every schedule) until --runs', async () => {
    const started = Date.now();
    const r = await runCron(cronJobManifest({ schedule: '@every 2s' }), ['--runs', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.jobs).toHaveLength(1);
    expect(Date.parse(annotation(r.jobs[0]!)!)).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
  });

  it('SIGINT stops the run: every pod is killed, exit 130', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'pod.pid');
    const file = join(dir, 'cronjob.json');
    writeFileSync(file, JSON.stringify(cronJobManifest({ schedule: '@every 1s' }, `echo $$ > ${pidFile}; exec sleep 300`)));
    const child = spawn(process.execPath, [CLI, 'run', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await sleep(50);
    const podPid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('interrupted by SIGINT; every pod was killed');
    expect(() => process.kill(podPid, 0)).toThrow();
  });

  it('--from-cronjob runs the Job kubectl create job --from=cronjob/... makes, once', async () => {
    const file = join(tempDir(), 'cronjob.json');
    writeFileSync(file, JSON.stringify(cronJobManifest({ schedule: '0 2 * * *' })));
    const r = await cli(['run', '-f', file, '--from-cronjob', 'nightly-manual-1', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const job = JSON.parse(r.stdout) as Job;
    expect(job.metadata.name).toBe('nightly-manual-1');
    expect(job.metadata.annotations).toEqual({ 'cronjob.kubernetes.io/instantiate': 'manual', owner: 'ops' });
    expect(job.status?.conditions?.at(-1)?.type).toBe('Complete');
  });

  it.each([
    [['--clock', 'virtual'], '--clock virtual needs an end: --until <time> or --runs <N>'],
    [['--clock', 'virtual', '--runs', '1', '--from', 'yesterday'], '--from must be an RFC 3339 time with a zone'],
    [['--clock', 'virtual', '--runs', '1', '--from', '2026-01-01T00:00:00'], '--from must be an RFC 3339 time with a zone'],
    [['--clock', 'sometimes'], '--clock must be real or virtual'],
    [['--from', '2026-01-01T00:00:00Z', '--runs', '1'], '--from needs --clock virtual'],
    [['--runs', '0'], '--runs must be'],
    [['--patch', 'x'], '--patch must be <time>=<json merge patch>'],
    [['--patch', '2026-01-01T00:00:00Z=[1]'], 'the patch must be a JSON object'],
    [['--manual-run', 'Bad_Name@2026-01-01T00:00:00Z'], '--manual-run: the Job name "Bad_Name" is invalid'],
    [['--from-cronjob', 'x', '--runs', '2'], '--from-cronjob runs one Job now; it cannot be combined with --runs'],
  ])('refuses %j before anything runs (exit 2)', async (args, message) => {
    const file = join(tempDir(), 'cronjob.json');
    writeFileSync(file, JSON.stringify(cronJobManifest({ schedule: '0 2 * * *' })));
    const r = await cli(['run', '-f', file, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('refuses an invalid CronJob with the API server message, and CronJob flags on a Job', async () => {
    const file = join(tempDir(), 'cronjob.json');
    writeFileSync(file, JSON.stringify(cronJobManifest({ schedule: '0 2 * * *', timeZone: 'Mars/Olympus' }, 'true', 'x'.repeat(53))));
    const r = await cli(['run', '-f', file, '--clock', 'virtual', '--runs', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`jobkit run: CronJob.batch "${'x'.repeat(53)}" is invalid: [spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus, metadata.name:`);
    const job = join(tempDir(), 'job.json');
    writeFileSync(job, JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', command: ['true'] }] } } } }));
    const flags = await cli(['run', '-f', job, '--runs', '2']);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('--runs applies to CronJob manifests only');
  });
});
