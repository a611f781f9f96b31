import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPortUrl, gatewayUrl, groupsOf, startHangingServer, uniqueJobName, valueOf } from '../../integration/telemetry/gateway.ts';
import { cleanEnv, fixture, runChild, shutdownMs } from './child.ts';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.ts';

const JOB = fixture('telemetry-job.ts');
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

/** Env of a fixture job pushing to the real gateway and tracing to the in-test receiver. */
function jobEnv(jobName: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    JOBKIT_JOB_NAME: jobName,
    JOBKIT_NAMESPACE: 'batch',
    JOBKIT_POD_NAME: `${jobName}-0-abcde`,
    JOBKIT_POD_UID: '0b3f3c1e-aaaa-bbbb-cccc-000000000001',
    JOBKIT_NODE_NAME: 'spot-node-7',
    JOBKIT_ATTEMPT: '2',
    JOBKIT_PUSHGATEWAY_URL: gatewayUrl(),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Longer than the run: only the flush at exit can deliver the spans.
    OTEL_BSP_SCHEDULE_DELAY: '60000',
    ...extra,
  });
}

function spansOfJob(jobName: string) {
  return receiver.spans.filter((s) => s.resource['k8s.job.name'] === jobName);
}

describe('a job pushing metrics and traces, as a child process', () => {
  it('on success: exit 0, the final metrics at the gateway, the span tree at the receiver, correlated logs', async () => {
    const jobName = uniqueJobName('e2e');
    const result = await runChild(JOB, jobEnv(jobName));
    expect(result.code, result.stderr).toBe(0);

    const [group] = await groupsOf(jobName);
    expect(group?.labels).toEqual({ job: jobName, namespace: 'batch', index: '0' });
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(0);
    expect(valueOf(group, 'jobkit_job_last_success_time_seconds')).toBeGreaterThan(1_600_000_000);
    expect(valueOf(group, 'jobkit_items_total', { outcome: 'processed' })).toBe(5);
    expect(valueOf(group, 'jobkit_checkpoint_saved_bytes_total')).toBe(1_024);
    expect(valueOf(group, 'jobkit_checkpoint_last_success_time_seconds')).toBeGreaterThan(1_600_000_000);
    expect(valueOf(group, 'jobkit_job_interruptions_total', { reason: 'signal' })).toBe(0);
    expect(valueOf(group, 'jobkit_job_interruptions_total', { reason: 'deadline' })).toBe(0);
    expect(valueOf(group, 'jobkit_job_exit_class_info', { class: 'success' })).toBe(1);
    expect(valueOf(group, 'jobkit_process_cpu_seconds')).toBeGreaterThan(0);
    expect(valueOf(group, 'jobkit_process_peak_rss_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(valueOf(group, 'jobkit_job_info', { pod: `${jobName}-0-abcde`, attempt: '2' })).toBe(1);

    const spans = spansOfJob(jobName);
    expect(receiver.contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);
    const roots = spans.filter((s) => s.name === 'job.run');
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    expect(root.parentSpanId).toBe('');
    const items = spans.filter((s) => s.name === 'item');
    expect(items.map((s) => s.attributes['item.n']).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const child of [...items, ...spans.filter((s) => s.name === 'checkpoint.save')]) {
      expect(child.traceId).toBe(root.traceId);
      expect(child.parentSpanId).toBe(root.spanId);
    }
    expect(spans.filter((s) => s.name === 'checkpoint.save')).toHaveLength(1);
    expect(root.resource).toMatchObject({
      'service.name': jobName,
      'k8s.job.name': jobName,
      'k8s.namespace.name': 'batch',
      'k8s.pod.name': `${jobName}-0-abcde`,
      'k8s.pod.uid': '0b3f3c1e-aaaa-bbbb-cccc-000000000001',
      'k8s.node.name': 'spot-node-7',
      'jobkit.job.index': 0,
      'jobkit.job.attempt': 2,
    });

    const itemLines = result.lines.filter((l) => l.msg === 'item done');
    expect(itemLines).toHaveLength(5);
    for (const line of itemLines) {
      const span = items.find((s) => s.attributes['item.n'] === line.n);
      expect(line).toMatchObject({ trace_id: root.traceId, span_id: span?.spanId });
    }
    expect(result.lines.find((l) => l.msg === 'job completed')).not.toHaveProperty('trace_id');
  });

  it('on failure: the exit code is unchanged (65) and reaches the gateway; the job span is an error', async () => {
    const jobName = uniqueJobName('e2e');
    const result = await runChild(JOB, jobEnv(jobName, { FIXTURE_MODE: 'fail' }));
    expect(result.code, result.stderr).toBe(65);
    const [group] = await groupsOf(jobName);
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(65);
    expect(valueOf(group, 'jobkit_job_exit_class_info', { class: 'permanent' })).toBe(1);
    expect(group?.families.jobkit_job_last_success_time_seconds).toBeUndefined();
    expect(valueOf(group, 'jobkit_items_total', { outcome: 'processed' })).toBe(5);
    const root = spansOfJob(jobName).find((s) => s.name === 'job.run');
    expect(root?.statusCode).toBe(2);
    expect(root?.attributes['error.type']).toBe('PermanentError');
  });

  it('after SIGTERM: exit 143, metrics pushed with exit code 143 and one signal interruption, the open job span flushed as an error', async () => {
    const jobName = uniqueJobName('e2e');
    const result = await runChild(JOB, jobEnv(jobName, { FIXTURE_MODE: 'wait', FIXTURE_ITEMS: '3', FIXTURE_SHARE: '10' }), (line, child) => {
      if (line.msg === 'waiting for SIGTERM') child.kill('SIGTERM');
    });
    expect(result.code, result.stderr).toBe(143);
    const [group] = await groupsOf(jobName);
    expect(valueOf(group, 'jobkit_job_exit_code')).toBe(143);
    expect(valueOf(group, 'jobkit_job_exit_class_info', { class: 'interrupted' })).toBe(1);
    expect(valueOf(group, 'jobkit_job_interruptions_total', { reason: 'signal' })).toBe(1);
    expect(valueOf(group, 'jobkit_job_interruptions_total', { reason: 'deadline' })).toBe(0);
    expect(valueOf(group, 'jobkit_items_total', { outcome: 'processed' })).toBe(3);
    // Work remaining when it stopped: 10 - 3.
    expect(valueOf(group, 'jobkit_shard_items')).toBe(10);
    expect(valueOf(group, 'jobkit_shard_position')).toBe(3);
    const root = spansOfJob(jobName).find((s) => s.name === 'job.run');
    expect(root?.statusCode).toBe(2);
    expect(root?.attributes['error.type']).toBe('InterruptedError');
  });

  it('two indexes running at once keep separate groups', async () => {
    const jobName = uniqueJobName('e2e');
    const results = await Promise.all(
      [0, 1].map((index) =>
        runChild(
          JOB,
          jobEnv(jobName, {
            JOBKIT_INDEX: String(index),
            JOBKIT_COUNT: '2',
            JOBKIT_POD_NAME: `${jobName}-${index}-x`,
            FIXTURE_ITEMS: String(10 + index),
          }),
        ),
      ),
    );
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    const groups = await groupsOf(jobName);
    const byIndex = new Map(groups.map((g) => [g.labels.index, valueOf(g, 'jobkit_items_total', { outcome: 'processed' })]));
    expect(byIndex).toEqual(new Map([['0', 10], ['1', 11]]));
  });
});

describe('a gateway that is down or hangs never changes the exit code, nor delays exit beyond the budget', () => {
  it('gateway down (closed port): same exit codes, exit right after the failed push', async () => {
    const url = await closedPortUrl();
    for (const [mode, code] of [['success', 0], ['fail', 65]] as const) {
      const result = await runChild(JOB, jobEnv(uniqueJobName('e2e'), { JOBKIT_PUSHGATEWAY_URL: url, FIXTURE_MODE: mode, OTEL_SDK_DISABLED: 'true' }));
      expect(result.code, result.stderr).toBe(code);
      expect(shutdownMs(result)).toBeLessThan(1_500);
      expect(result.lines.filter((l) => l.level === 'warn' && String(l.msg).startsWith('metrics push'))).toHaveLength(1);
    }
  });

  it('gateway hanging (accepts, never answers): same exit code, delayed by at most the push timeout', async () => {
    const server = await startHangingServer();
    try {
      const result = await runChild(
        JOB,
        jobEnv(uniqueJobName('e2e'), { JOBKIT_PUSHGATEWAY_URL: server.url, JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS: '1', OTEL_SDK_DISABLED: 'true' }),
      );
      expect(result.code, result.stderr).toBe(0);
      expect(server.connections()).toBeGreaterThanOrEqual(2); // the first push and the final one
      const ms = shutdownMs(result);
      expect(ms).toBeGreaterThanOrEqual(900); // it did wait for the final push...
      expect(ms).toBeLessThan(1_000 + 1_000); // ...but not past its 1 s budget (plus process exit)
    } finally {
      await server.close();
    }
  });

  it('trace collector hanging: same exit code, delayed by at most the flush budget (5 s)', async () => {
    const server = await startHangingServer();
    try {
      const result = await runChild(JOB, jobEnv(uniqueJobName('e2e'), { OTEL_EXPORTER_OTLP_ENDPOINT: server.url, FIXTURE_MODE: 'fail' }));
      expect(result.code, result.stderr).toBe(65);
      expect(server.connections()).toBeGreaterThanOrEqual(1);
      expect(shutdownMs(result)).toBeLessThan(5_000 + 1_000);
    } finally {
      await server.close();
    }
  });
});
