/**
 * The runs of one CronJob through runJob (executeJob) against real servers:
 * checkpoints scoped to the run resume in a re-created Job of the same
 * scheduled time and start fresh at the next; idempotency scoped to the
 * CronJob dedupes a scheduled and a manual run (moto S3); the Pushgateway
 * keeps one group per CronJob whose last success survives a failed run.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { executeJob } from '../../../src/job/run-job.ts';
import { PermanentError } from '../../../src/runtime/errors.ts';
import { groupsOf, valueOf } from '../telemetry/gateway.ts';

const T0 = 29_453_761; // 2026-01-01T00:01Z in minutes
const quiet = { logger: { level: 'silent' as const }, signals: [] };

function runEnv(cronJob: string, jobName: string, extra: Record<string, string> = {}): Record<string, string> {
  return { JOBKIT_CRONJOB_NAME: cronJob, JOBKIT_JOB_NAME: jobName, JOBKIT_NAMESPACE: 'default', JOBKIT_POD_NAME: `${jobName}-${randomUUID().slice(0, 5)}`, ...extra };
}

function s3(prefix: string): Record<string, string> {
  return {
    JOBKIT_STORE: `s3://${process.env.JOBKIT_TEST_S3_BUCKET}/cronjob-it/${prefix}`,
    JOBKIT_S3_ENDPOINT: process.env.JOBKIT_TEST_S3_ENDPOINT ?? '',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    AWS_REGION: 'us-east-1',
  };
}

describe('a CronJob run through runJob', () => {
  it("scope 'run': a re-created Job of the same scheduled time resumes, the next schedule starts fresh", async () => {
    const store = s3(randomUUID());
    const cron = `report-${randomUUID().slice(0, 6)}`;
    const seen: (number | undefined)[] = [];
    const attempt = (jobName: string): Promise<number> =>
      executeJob<{ n: number }>(
        async (job) => {
          const last = await job.checkpoint.load();
          seen.push(last?.state.n);
          await job.checkpoint.save({ n: (last?.state.n ?? 0) + 1 });
        },
        { ...quiet, env: { ...store, ...runEnv(cron, jobName), JOBKIT_CHECKPOINT_SCOPE: 'run' } },
      );
    expect(await attempt(`${cron}-${T0}`)).toBe(0);
    // The same scheduled time again (the Job deleted and re-created, or a retry on another node).
    expect(await attempt(`${cron}-${T0}`)).toBe(0);
    // The next day's run.
    expect(await attempt(`${cron}-${T0 + 1440}`)).toBe(0);
    expect(seen).toEqual([undefined, 1, undefined]);
  });

  it("idempotency scope 'cronjob': a scheduled and a manual run send the day's report once", async () => {
    const store = s3(randomUUID());
    const cron = `report-${randomUUID().slice(0, 6)}`;
    let sent = 0;
    const send = (jobName: string): Promise<number> =>
      executeJob(
        async (job) => {
          await job.idempotent('send-report-2025-12-31', () => {
            sent += 1;
          });
        },
        { ...quiet, env: { ...store, ...runEnv(cron, jobName), JOBKIT_IDEMPOTENCY_SCOPE: 'cronjob' } },
      );
    expect(await send(`${cron}-${T0}`)).toBe(0);
    expect(await send(`${cron}-rerun`)).toBe(0);
    expect(sent).toBe(1);
  });

  it("idempotency scope 'cronjob' without a CronJob stops before main with exit 78", async () => {
    let ran = false;
    const code = await executeJob(
      () => {
        ran = true;
      },
      { ...quiet, env: { JOBKIT_STORE: 'memory://x', JOBKIT_JOB_NAME: 'plain', JOBKIT_IDEMPOTENCY_SCOPE: 'cronjob' } },
    );
    expect(code).toBe(78);
    expect(ran).toBe(false);
  });

  it('pushes every run to one group per CronJob: a failed run keeps the last success', async () => {
    const cron = `report-${randomUUID().slice(0, 6)}`;
    const gateway = { JOBKIT_PUSHGATEWAY_URL: process.env.JOBKIT_TEST_PUSHGATEWAY_URL!, JOBKIT_STORE: 'memory://pgw' };
    expect(await executeJob(() => undefined, { ...quiet, env: { ...gateway, ...runEnv(cron, `${cron}-${T0}`) } })).toBe(0);
    const [afterSuccess] = await groupsOf(cron);
    const lastSuccess = valueOf(afterSuccess, 'jobkit_job_last_success_time_seconds');
    expect(lastSuccess).toBeGreaterThan(1_600_000_000);
    const failed = await executeJob(
      () => {
        throw new PermanentError('the source table is empty');
      },
      { ...quiet, env: { ...gateway, ...runEnv(cron, `${cron}-${T0 + 1440}`) } },
    );
    expect(failed).toBe(65);
    const groups = await groupsOf(cron);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.labels).toEqual({ job: cron, namespace: 'default', index: '0' });
    expect(valueOf(groups[0], 'jobkit_job_last_success_time_seconds')).toBe(lastSuccess);
    expect(valueOf(groups[0], 'jobkit_job_exit_code')).toBe(65);
    expect(valueOf(groups[0], 'jobkit_job_info', { job_name: `${cron}-${T0 + 1440}`, trigger: 'schedule', run_id: `${cron}@2026-01-02T00:01:00Z` })).toBe(1);
    // No group is left under either Job's name.
    expect(await groupsOf(`${cron}-${T0}`)).toEqual([]);
  });
});
