/**
 * `jobkit manifest`: the output is a schema-valid batch/v1 Job, its
 * podFailurePolicy follows the exit-code table, and `jobkit run` accepts it
 * unchanged and runs it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CronJob as CronJobModel, Job as JobModel } from 'kubernetes-models/batch/v1';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXIT_CODE_TABLE } from '../../../src/runtime/exit-codes.ts';
import type { Job } from '../../../src/local/types.ts';
import { cli, conditionsOf, removeTempDirs, tempDir } from './harness.ts';

afterAll(removeTempDirs);

const JOB_PROGRAM = [
  'const idx = process.env.JOB_COMPLETION_INDEX;',
  'const want = ["JOBKIT_JOB_NAME","JOBKIT_NAMESPACE","JOBKIT_POD_NAME","JOBKIT_POD_UID","JOBKIT_NODE_NAME","JOBKIT_COUNT","JOBKIT_GRACE_PERIOD_SECONDS","JOBKIT_STORE"];',
  'const missing = want.filter((k) => !process.env[k]);',
  'console.log(`index=${idx} job=${process.env.JOBKIT_JOB_NAME} count=${process.env.JOBKIT_COUNT} attempt=${JSON.stringify(process.env.JOBKIT_ATTEMPT)} missing=${missing.join("|")}`);',
  'process.exit(idx === "1" ? Number(process.env.FAIL_CODE ?? 0) : 0);',
].join('\n');

async function generate(args: string[]): Promise<{ yamlText: string; job: Job }> {
  const r = await cli(['manifest', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { yamlText: r.stdout, job: parse(r.stdout) as Job };
}

describe('jobkit manifest', () => {
  it('validates against the batch/v1 Job OpenAPI schema', async () => {
    const { job } = await generate(['--name', 'etl', '--image', 'acme/etl:1', '--completions', '8', '--parallelism', '3', '--store', 's3://bkt/p', '--', 'node', 'main.js']);
    expect(() => new JobModel(job as unknown as ConstructorParameters<typeof JobModel>[0]).validate()).not.toThrow();
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    const env = Object.fromEntries((job.spec.template.spec.containers[0]!.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).toMatchObject({
      JOBKIT_JOB_NAME: "metadata.labels['batch.kubernetes.io/job-name']",
      JOBKIT_NAMESPACE: 'metadata.namespace',
      JOBKIT_POD_NAME: 'metadata.name',
      JOBKIT_POD_UID: 'metadata.uid',
      JOBKIT_NODE_NAME: 'spec.nodeName',
      JOBKIT_ATTEMPT: "metadata.annotations['batch.kubernetes.io/job-index-failure-count']",
      JOBKIT_COUNT: '8',
      JOBKIT_GRACE_PERIOD_SECONDS: '30',
      JOBKIT_STORE: 's3://bkt/p',
    });
    expect(job.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
  });

  it('derives the podFailurePolicy from the exit-code table, DisruptionTarget first', async () => {
    const { job } = await generate(['--name', 'etl', '--image', 'i', '--completions', '2']);
    const rules = job.spec.podFailurePolicy!.rules;
    expect(rules[0]).toEqual({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] });
    for (const entry of EXIT_CODE_TABLE.filter((e) => e.action !== 'none')) {
      const rule = rules.find((r) => r.onExitCodes?.values.includes(entry.code));
      if (entry.action === 'Count') expect(rule, `code ${entry.code}`).toBeUndefined();
      else expect(rule?.action, `code ${entry.code}`).toBe(entry.action);
    }
    const { job: global } = await generate(['--name', 'etl', '--image', 'i', '--backoff-limit', '4']);
    expect(global.spec.backoffLimitPerIndex).toBeUndefined();
    expect(global.spec.backoffLimit).toBe(4);
    expect(global.spec.podFailurePolicy!.rules.some((r) => r.action === 'FailIndex')).toBe(false);
    const permanent = EXIT_CODE_TABLE.find((e) => e.action === 'FailIndex')!.code;
    expect(global.spec.podFailurePolicy!.rules.find((r) => r.onExitCodes?.values.includes(permanent))?.action).toBe('FailJob');
  });

  it('rejects bad options with exit 2 and a message naming the option', async () => {
    const r = await cli(['manifest', '--name', 'Bad_Name', '--image', 'i']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--name');
    const g = await cli(['manifest', '--name', 'x', '--image', 'i', '--grace-period', '2']);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain('--grace-period must be an integer >= 5, got 2');
  });

  it('refuses the values the program would refuse at start, naming the flag and what is allowed', async () => {
    const cases: Array<[string[], string]> = [
      [['--store', 'gs://bucket'], '--store must be s3://bucket[/prefix], file:///absolute/path, file://./relative/path or memory://[name]; unknown scheme "gs:"'],
      [['--store', 's3://Bad_Bucket'], 'invalid S3 bucket name "Bad_Bucket": only lowercase letters, digits, "." and "-" are allowed'],
      [['--store', 's3://key:secret@bucket'], 'credentials do not belong in the URL'],
      [['--log-level', 'verbose'], '--log-level must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"'],
      [['--completions', '0x3'], '--completions must be a non-negative integer, got "0x3"'],
      [['--grace-period', '1e1'], '--grace-period must be a non-negative integer, got "1e1"'],
      [['--env', 'JOBKIT_CHECKPOINT_KEEP=-1'], 'JOBKIT_CHECKPOINT_KEEP must be an integer >= 1, got "-1"'],
      [['--env', 'JOBKIT_S3_MAX_SOCKETS=0x3'], 'JOBKIT_S3_MAX_SOCKETS must be an integer >= 1 and <= 4096, got "0x3"'],
      [['--pushgateway', 'ftp://pgw'], '--pushgateway must be an http(s) URL'],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(['manifest', '--name', 'x', '--image', 'i', ...args])));
    results.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(cases[i]![1]);
      expect(r.stderr).not.toContain('secret');
    });
    const ok = await cli(['manifest', '--name', 'x', '--image', 'i', '--store', 's3://my-bucket/jobs', '--log-level', 'WARN', '--env', 'JOBKIT_CHECKPIONT_KEEP=2']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('value: warn');
    expect(ok.stderr).toContain('JOBKIT_CHECKPIONT_KEEP is not a jobkit setting and would be ignored (did you mean JOBKIT_CHECKPOINT_KEEP?)');
  });

  it('is accepted unchanged by jobkit run, which runs it to completion', async () => {
    const dir = tempDir();
    const { yamlText } = await generate(['--name', 'gen', '--image', 'node:24', '--completions', '3', '--grace-period', '5', '--store', `file://${dir}/store`, '--', process.execPath, '-e', JOB_PROGRAM]);
    const file = join(dir, 'job.yaml');
    writeFileSync(file, yamlText);
    const r = await cli(['run', '-f', file, '-o', 'json', '--backoff-scale', '0.01', '--seed', '3']);
    expect(r.code).toBe(0);
    const job = JSON.parse(r.stdout) as Job;
    expect(job.status?.completedIndexes).toBe('0-2');
    expect(job.status?.failedIndexes).toBe('');
    for (let i = 0; i < 3; i++) expect(r.stderr).toContain(`index=${i} job=gen count=3 attempt="0" missing=\n`);
  });

  it('fails just the index whose program exits with the permanent code', async () => {
    const dir = tempDir();
    const { yamlText } = await generate(['--name', 'gen', '--image', 'node:24', '--completions', '3', '--store', 'memory://', '--', process.execPath, '-e', JOB_PROGRAM]);
    const file = join(dir, 'job.yaml');
    writeFileSync(file, yamlText);
    const permanent = EXIT_CODE_TABLE.find((e) => e.exitClass === 'permanent')!.code;
    const r = await cli(['run', '-f', file, '-o', 'json', '--backoff-scale', '0.01'], { ...process.env, FAIL_CODE: String(permanent) });
    expect(r.code).toBe(1);
    const job = JSON.parse(r.stdout) as Job;
    expect(job.status?.failedIndexes).toBe('1');
    expect(job.status?.completedIndexes).toBe('0,2');
    expect(job.status?.failed).toBe(1);
    expect(conditionsOf(job).map((c) => c[1])).toEqual(['FailedIndexes', 'FailedIndexes']);
  });
});

describe('jobkit manifest --schedule', () => {
  it('writes a CronJob that validates against the batch/v1 CronJob schema and runs under jobkit run', async () => {
    const program = 'const { JOBKIT_CRONJOB_NAME: c, JOBKIT_JOB_NAME: j } = process.env; console.log(`cron=${c} job=${j}`); process.exit(c === "report" && j.startsWith("report-") ? 0 : 1)';
    const r = await cli(['manifest', '--name', 'report', '--image', 'acme/report:1', '--schedule', '0 2 * * *', '--time-zone', 'Europe/Berlin', '--starting-deadline', '3600', '--', 'node', '-e', program]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cronJob = parse(r.stdout) as Record<string, unknown> & { spec: Record<string, unknown> & { jobTemplate: { spec: Job['spec'] } } };
    expect(() => new CronJobModel(cronJob as unknown as ConstructorParameters<typeof CronJobModel>[0]).validate()).not.toThrow();
    expect(cronJob.spec).toMatchObject({ schedule: '0 2 * * *', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600 });
    expect(cronJob.spec.jobTemplate.spec.podFailurePolicy?.rules[0]?.action).toBe('Ignore');
    const env = cronJob.spec.jobTemplate.spec.template.spec.containers[0]!.env ?? [];
    expect(env).toContainEqual({ name: 'JOBKIT_CRONJOB_NAME', value: 'report' });

    const file = join(tempDir(), 'cronjob.yaml');
    writeFileSync(file, r.stdout);
    const run = await cli(['run', '-f', file, '--clock', 'virtual', '--from', '2026-01-01T00:00:00Z', '--runs', '1', '--backoff-scale', '0.01']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\] cron=report job=report-29453820/);
  });

  it('refuses what the API server would, and CronJob flags without --schedule', async () => {
    const bad = await cli(['manifest', '--name', 'report', '--image', 'i', '--schedule', '0 25 * * *', '--', 'node', 'm.js']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('spec.schedule: Invalid value: "0 25 * * *": end of range (25) above maximum (23): 25');
    const zone = await cli(['manifest', '--name', 'report', '--image', 'i', '--schedule', '@daily', '--time-zone', 'Europe/Paris/Nope']);
    expect(zone.code).toBe(2);
    expect(zone.stderr).toContain('spec.timeZone: Invalid value: "Europe/Paris/Nope": unknown time zone Europe/Paris/Nope');
    const policy = await cli(['manifest', '--name', 'report', '--image', 'i', '--schedule', '@daily', '--concurrency-policy', 'Never']);
    expect(policy.code).toBe(2);
    expect(policy.stderr).toContain('--concurrency-policy must be one of Allow, Forbid, Replace, got "Never"');
    const orphan = await cli(['manifest', '--name', 'report', '--image', 'i', '--time-zone', 'UTC']);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toContain('--time-zone needs --schedule');
  });
});
