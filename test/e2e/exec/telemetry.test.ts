/**
 * `jobkit exec` pushes to a real Pushgateway and traces to an OTLP receiver
 * exactly as runJob does: the start push while the program runs, the final
 * push with its exit code, duration and last success, a root span whose
 * context the program gets as TRACEPARENT; a backend that is down changes nothing.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPortUrl, eventually, gatewayUrl, groupsOf, uniqueJobName, valueOf } from '../../integration/telemetry/gateway.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../telemetry/otlp-receiver.ts';
import { execEnv, runJobkit, tempDir } from './exec-child.ts';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

function telemetryEnv(jobName: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return execEnv({
    JOBKIT_JOB_NAME: jobName,
    JOBKIT_PUSHGATEWAY_URL: gatewayUrl(),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '60000',
    ...extra,
  });
}

describe('jobkit exec: metrics and traces', () => {
  it('pushes at start (while the program runs) and at the end with exit code, duration and last success; TRACEPARENT is the root span', async () => {
    const jobName = uniqueJobName('exec');
    const dir = tempDir();
    const go = join(dir, 'go');
    const script = `echo "traceparent=$TRACEPARENT"; while [ ! -e ${go} ]; do sleep 0.05; done; sleep 0.2`;
    const running = runJobkit(['exec', '--', 'sh', '-c', script], telemetryEnv(jobName));
    const started = await eventually(async () => {
      const [group] = await groupsOf(jobName);
      return valueOf(group, 'jobkit_job_start_time_seconds') === undefined ? undefined : group;
    }, 30_000);
    expect(valueOf(started, 'jobkit_job_exit_code')).toBeUndefined();
    writeFileSync(go, '');
    const result = await running;
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(go)).toBe(true);

    const [group] = await groupsOf(jobName);
    expect(group?.labels).toEqual({ job: jobName, namespace: 'batch', index: '2' });
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(0);
    expect(valueOf(group, 'jobkit_job_duration_seconds')).toBeGreaterThan(0.2);
    expect(valueOf(group, 'jobkit_job_last_success_time_seconds')).toBeGreaterThan(1_600_000_000);
    expect(valueOf(group, 'jobkit_job_exit_class_info', { class: 'success' })).toBe(1);

    const root = receiver.spans.find((s) => s.resource['k8s.job.name'] === jobName && s.name === 'job.run');
    expect(root).toBeDefined();
    const line = result.lines.find((l) => String(l.msg).startsWith('traceparent='));
    expect(line?.msg).toBe(`traceparent=00-${root?.traceId}-${root?.spanId}-01`);
  });

  it('a failing program: its exit code (65) reaches the gateway, no last success, the span is an error', async () => {
    const jobName = uniqueJobName('exec');
    const result = await runJobkit(['exec', '--', 'sh', '-c', 'exit 65'], telemetryEnv(jobName));
    expect(result.code, result.stderr).toBe(65);
    const [group] = await groupsOf(jobName);
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(65);
    expect(valueOf(group, 'jobkit_job_exit_class_info', { class: 'permanent' })).toBe(1);
    expect(group?.families.jobkit_job_last_success_time_seconds).toBeUndefined();
    const root = receiver.spans.find((s) => s.resource['k8s.job.name'] === jobName && s.name === 'job.run');
    expect(root?.statusCode).toBe(2);
  });

  it('a Pushgateway and a trace backend that are down never change the outcome', async () => {
    const down = await closedPortUrl();
    const env = execEnv({ JOBKIT_PUSHGATEWAY_URL: down, OTEL_EXPORTER_OTLP_ENDPOINT: down, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect((await runJobkit(['exec', '--', 'sh', '-c', 'exit 0'], env)).code).toBe(0);
    expect((await runJobkit(['exec', '--', 'sh', '-c', 'exit 65'], env)).code).toBe(65);
  });
});
