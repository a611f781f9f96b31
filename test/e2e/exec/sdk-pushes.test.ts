/**
 * A jobkit SDK program under `jobkit exec` (`jobkit exec -- node job.ts`)
 * pushes to the same Pushgateway group as the supervisor; the handshake over
 * JOBKIT_EXEC_CONTROL keeps its families there (real gateway): after a
 * success the group holds the program's items and its exit code; after the
 * program SIGKILLed itself (no final push) it holds the items of its own
 * pushes and the supervisor's crash outcome (70); the program's job.run span
 * is a child of the supervisor's. A program that is not an SDK program gets
 * the supervisor's pushes as before (telemetry.test.ts).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayUrl, groupsOf, uniqueJobName, valueOf } from '../../integration/telemetry/gateway.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../telemetry/otlp-receiver.ts';
import { CLI, execEnv, messages, runJobkit } from './exec-child.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/sdk-items-job.ts', import.meta.url));

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

function sdkEnv(jobName: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return execEnv({
    JOBKIT_JOB_NAME: jobName,
    JOBKIT_PUSHGATEWAY_URL: gatewayUrl(),
    FIXTURE_ITEMS: '7',
    ...extra,
  });
}

describe('jobkit exec -- node <jobkit SDK program>: the pushes cooperate', () => {
  it('success: the final group keeps the program\'s item metrics and its own metric, with exit code 0 and last success; the supervisor skips its final push; spans nest', async () => {
    const jobName = uniqueJobName('exec-sdk');
    const env = sdkEnv(jobName, {
      JOBKIT_LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '60000',
    });
    const result = await runJobkit(['exec', '--', 'node', FIXTURE], env);
    expect(result.code, result.stderr).toBe(0);
    expect(messages(result)).toContain('final push skipped: the jobkit SDK program pushed its own final state');

    const [group] = await groupsOf(jobName);
    expect(group?.labels).toEqual({ job: jobName, namespace: 'batch', index: '2' });
    expect(valueOf(group, 'jobkit_items_total', { outcome: 'processed' })).toBe(7);
    expect(valueOf(group, 'fixture_rows_total')).toBe(70);
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(0);
    expect(valueOf(group, 'jobkit_job_exit_class_info', { class: 'success' })).toBe(1);
    expect(valueOf(group, 'jobkit_job_last_success_time_seconds')).toBeGreaterThan(1_600_000_000);

    // The program's root span is a child of the supervisor's (TRACEPARENT), in the same trace.
    const runs = receiver.spans.filter((s) => s.resource['k8s.job.name'] === jobName && s.name === 'job.run');
    expect(runs).toHaveLength(2);
    const supervisor = runs.find((s) => s.parentSpanId === undefined || s.parentSpanId === '');
    const program = runs.find((s) => s !== supervisor);
    expect(supervisor).toBeDefined();
    expect(program?.traceId).toBe(supervisor?.traceId);
    expect(program?.parentSpanId).toBe(supervisor?.spanId);
  });

  it('the program SIGKILLs itself after its pushes: the group keeps its items and gets the supervisor\'s crash outcome (70), no last success', async () => {
    const jobName = uniqueJobName('exec-sdk');
    const env = sdkEnv(jobName, { FIXTURE_MODE: 'sigkill', JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS: '0.2' });
    const result = await runJobkit(['exec', '--', 'node', FIXTURE], env);
    expect(result.code, result.stderr).toBe(70);
    const said = messages(result);
    expect(said).toContain('items pushed: SIGKILL');
    expect(said).toContain('program ended by SIGKILL');
    expect(said).toContain("a jobkit SDK program pushes to this Pushgateway group: the supervisor's periodic pushes stop");
    expect(said).toContain('the jobkit SDK program ended without its final push: the supervisor pushes its outcome into the group');

    const [group] = await groupsOf(jobName);
    expect(valueOf(group, 'jobkit_items_total', { outcome: 'processed' })).toBe(7);
    expect(valueOf(group, 'fixture_rows_total')).toBe(70);
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(70);
    expect(valueOf(group, 'jobkit_job_exit_class_info', { class: 'crash' })).toBe(1);
    expect(valueOf(group, 'jobkit_job_end_time_seconds')).toBeGreaterThan(1_600_000_000);
    expect(group?.families.jobkit_job_last_success_time_seconds).toBeUndefined();
  });

  it('SIGTERM: the program stops and does its own final push (POST, 143); the supervisor adds nothing and the items stay', async () => {
    const jobName = uniqueJobName('exec-sdk');
    const result = await runJobkit(['exec', '--', 'node', FIXTURE], sdkEnv(jobName, { FIXTURE_MODE: 'wait', JOBKIT_LOG_LEVEL: 'debug' }), (line, child) => {
      if (line.msg === 'waiting for SIGTERM') child.kill('SIGTERM');
    });
    expect(result.code, result.stderr).toBe(143);
    expect(messages(result)).toContain('final push skipped: the jobkit SDK program pushed its own final state');
    const [group] = await groupsOf(jobName);
    expect(valueOf(group, 'jobkit_items_total', { outcome: 'processed' })).toBe(7);
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(143);
    expect(valueOf(group, 'jobkit_job_exit_class_info', { class: 'interrupted' })).toBe(1);
  });

  it('jobkit exec under jobkit exec: the inner supervisor is the outer one\'s SDK program; the SIGKILLed program\'s items and the crash outcome stay', async () => {
    const jobName = uniqueJobName('exec-sdk');
    const env = sdkEnv(jobName, { FIXTURE_MODE: 'sigkill', JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS: '0.2', JOBKIT_LOG_LEVEL: 'debug' });
    const result = await runJobkit(['exec', '--', process.execPath, CLI, 'exec', '--', 'node', FIXTURE], env);
    expect(result.code, result.stderr).toBe(70);
    // the outer one skips: the inner one's final (outcome) push was accepted
    expect(messages(result)).toContain('final push skipped: the jobkit SDK program pushed its own final state');
    const [group] = await groupsOf(jobName);
    expect(valueOf(group, 'jobkit_items_total', { outcome: 'processed' })).toBe(7);
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(70);
  });

  it('a file given as the command (jobkit exec -- job.ts) is the same SDK program: its items stay in the group', async () => {
    const jobName = uniqueJobName('exec-sdk');
    const result = await runJobkit(['exec', '--', FIXTURE], sdkEnv(jobName));
    expect(result.code, result.stderr).toBe(0);
    const [group] = await groupsOf(jobName);
    expect(valueOf(group, 'jobkit_items_total', { outcome: 'processed' })).toBe(7);
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(0);
  });
});
