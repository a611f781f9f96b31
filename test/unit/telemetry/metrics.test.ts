import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createJobMetrics, exitCodeForReason } from '../../../src/telemetry/metrics.ts';
import { testIdentity } from './helpers.ts';

/** The value of one sample in the text exposition, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createJobMetrics', () => {
  it('uses its own registry, never the global default one', async () => {
    const metrics = createJobMetrics({ identity: testIdentity() });
    expect(metrics.registry).not.toBe(globalRegistry);
    expect(await globalRegistry.metrics()).not.toContain('jobkit_');
    expect(await metrics.registry.metrics()).toContain('jobkit_items_total');
  });

  it('two instances in one process do not collide (one per job, tests, workers)', () => {
    createJobMetrics({ identity: testIdentity() });
    expect(() => createJobMetrics({ identity: testIdentity() })).not.toThrow();
  });

  it('counts items by outcome and observes item durations in seconds', async () => {
    const metrics = createJobMetrics({ identity: testIdentity() });
    metrics.itemProcessed(20);
    metrics.itemProcessed(2_000);
    metrics.itemFailed(5);
    metrics.itemSkipped();
    metrics.items('processed', 10);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'jobkit_items_total{outcome="processed"}')).toBe(12);
    expect(sample(text, 'jobkit_items_total{outcome="failed"}')).toBe(1);
    expect(sample(text, 'jobkit_items_total{outcome="skipped"}')).toBe(1);
    expect(sample(text, 'jobkit_item_duration_seconds_count')).toBe(3);
    expect(sample(text, 'jobkit_item_duration_seconds_sum')).toBeCloseTo(2.025, 6);
    expect(sample(text, 'jobkit_item_duration_seconds_bucket{le="0.01"}')).toBe(1);
  });

  it('records checkpoint bytes and durations, retries and idempotency results', async () => {
    const metrics = createJobMetrics({ identity: testIdentity() });
    metrics.checkpointSaved(1_000, 250);
    metrics.checkpointSaved(3_000, 750);
    metrics.checkpointLoaded(3_000, 100);
    metrics.retry('s3.put');
    metrics.retry('s3.put');
    metrics.idempotency('hit');
    metrics.idempotency('conflict');
    const text = await metrics.registry.metrics();
    expect(sample(text, 'jobkit_checkpoint_saved_bytes_total')).toBe(4_000);
    expect(sample(text, 'jobkit_checkpoint_last_save_bytes')).toBe(3_000);
    expect(sample(text, 'jobkit_checkpoint_save_duration_seconds_sum')).toBeCloseTo(1, 6);
    expect(sample(text, 'jobkit_checkpoint_load_duration_seconds_count')).toBe(1);
    expect(sample(text, 'jobkit_checkpoint_loaded_bytes_total')).toBe(3_000);
    expect(sample(text, 'jobkit_retries_total{operation="s3.put"}')).toBe(2);
    expect(sample(text, 'jobkit_idempotency_results_total{result="hit"}')).toBe(1);
    expect(sample(text, 'jobkit_idempotency_results_total{result="miss"}')).toBe(0);
    expect(sample(text, 'jobkit_idempotency_results_total{result="conflict"}')).toBe(1);
  });

  it('stamps the last checkpoint commit (the checkpoint age is time() minus it), absent before the first', async () => {
    let clock = 1_700_000_000_000;
    const metrics = createJobMetrics({ identity: testIdentity(), now: () => clock });
    expect(sample(await metrics.registry.metrics(), 'jobkit_checkpoint_last_success_time_seconds')).toBeUndefined();
    metrics.checkpointSaved(10, 5);
    clock += 30_000;
    metrics.checkpointSaved(10, 5);
    expect(sample(await metrics.registry.metrics(), 'jobkit_checkpoint_last_success_time_seconds')).toBe(1_700_000_030);
  });

  it('labels the end with the exit code\'s class from the exit-code table', async () => {
    const failed = createJobMetrics({ identity: testIdentity() });
    expect(await failed.registry.metrics()).not.toMatch(/^jobkit_job_exit_class_info\{/m);
    failed.finished({ exitCode: 65 });
    expect(sample(await failed.registry.metrics(), 'jobkit_job_exit_class_info{class="permanent"}')).toBe(1);
    const odd = createJobMetrics({ identity: testIdentity() });
    odd.finished({ exitCode: 3 });
    expect(sample(await odd.registry.metrics(), 'jobkit_job_exit_class_info{class="unknown"}')).toBe(1);
    const ok = createJobMetrics({ identity: testIdentity() });
    ok.finished({ exitCode: 0 });
    expect(sample(await ok.registry.metrics(), 'jobkit_job_exit_class_info{class="success"}')).toBe(1);
  });

  it('reports the latest share handed out, read at each collection; absent before any', async () => {
    const metrics = createJobMetrics({ identity: testIdentity() });
    expect(await metrics.registry.metrics()).not.toContain('jobkit_shard_');
    const share = { size: 100, position: 0 };
    metrics.trackShare(share);
    share.position = 40;
    let text = await metrics.registry.metrics();
    expect(sample(text, 'jobkit_shard_items')).toBe(100);
    expect(sample(text, 'jobkit_shard_position')).toBe(40);
    metrics.trackShare({ size: 7, position: 7 });
    text = await metrics.registry.metrics();
    expect(sample(text, 'jobkit_shard_items')).toBe(7);
    expect(sample(text, 'jobkit_shard_position')).toBe(7);
  });

  it('reports each work queue\'s chunks and chunks left by queue name; absent before any queue scans', async () => {
    const metrics = createJobMetrics({ identity: testIdentity() });
    expect(await metrics.registry.metrics()).not.toContain('jobkit_queue_');
    metrics.trackQueue({ name: 'default', chunks: 100, left: 100 });
    metrics.trackQueue({ name: 'reindex', chunks: 8, left: 3 });
    metrics.trackQueue({ name: 'default', chunks: 100, left: 61 });
    const text = await metrics.registry.metrics();
    expect(sample(text, 'jobkit_queue_chunks{queue="default"}')).toBe(100);
    expect(sample(text, 'jobkit_queue_chunks_left{queue="default"}')).toBe(61);
    expect(sample(text, 'jobkit_queue_chunks_left{queue="reindex"}')).toBe(3);
  });

  it('counts integrity failures by kind, every kind present from the start at 0', async () => {
    const metrics = createJobMetrics({ identity: testIdentity() });
    let text = await metrics.registry.metrics();
    for (const kind of ['checkpoint', 'shard_plan', 'work_queue', 'idempotency_record', 'exclusive_record']) {
      expect(sample(text, `jobkit_integrity_failures_total{kind="${kind}"}`), kind).toBe(0);
    }
    metrics.checkpointCorrupt();
    metrics.integrityFailure('shard_plan');
    metrics.integrityFailure('shard_plan');
    text = await metrics.registry.metrics();
    expect(sample(text, 'jobkit_integrity_failures_total{kind="checkpoint"}')).toBe(1);
    expect(sample(text, 'jobkit_integrity_failures_total{kind="shard_plan"}')).toBe(2);
    expect(sample(text, 'jobkit_integrity_failures_total{kind="work_queue"}')).toBe(0);
  });

  it('counts interruptions by reason, both series present from the start at 0', async () => {
    const metrics = createJobMetrics({ identity: testIdentity() });
    let text = await metrics.registry.metrics();
    expect(sample(text, 'jobkit_job_interruptions_total{reason="signal"}')).toBe(0);
    expect(sample(text, 'jobkit_job_interruptions_total{reason="deadline"}')).toBe(0);
    metrics.interrupted('signal');
    text = await metrics.registry.metrics();
    expect(sample(text, 'jobkit_job_interruptions_total{reason="signal"}')).toBe(1);
    expect(sample(text, 'jobkit_job_interruptions_total{reason="deadline"}')).toBe(0);
  });

  it('describes who pushed in jobkit_job_info', async () => {
    const metrics = createJobMetrics({ identity: testIdentity({ attempt: undefined }) });
    const text = await metrics.registry.metrics();
    expect(
      sample(
        text,
        'jobkit_job_info{platform="kubernetes",namespace="data",pod="etl-3-x7k2p",node="node-a",attempt="",count="8",job_name="etl",cronjob="",scheduled_time="",trigger="none",run_id="etl"}',
      ),
    ).toBe(1);
  });

  it('names the CronJob run in jobkit_job_info', async () => {
    const identity = testIdentity({ jobName: 'report-29453761', cronJobName: 'report', scheduledTime: new Date('2026-01-01T00:01:00Z'), trigger: 'schedule' });
    const text = await createJobMetrics({ identity }).registry.metrics();
    expect(text).toContain('job_name="report-29453761",cronjob="report",scheduled_time="2026-01-01T00:01:00Z",trigger="schedule",run_id="report@2026-01-01T00:01:00Z"');
  });

  it('reports start time and a duration that grows until the run ends, then stays', async () => {
    let clock = 1_700_000_000_000;
    const metrics = createJobMetrics({ identity: testIdentity(), now: () => clock });
    clock += 1_500;
    let text = await metrics.registry.metrics();
    expect(sample(text, 'jobkit_job_start_time_seconds')).toBe(1_700_000_000);
    expect(sample(text, 'jobkit_job_duration_seconds')).toBe(1.5);
    expect(sample(text, 'jobkit_job_end_time_seconds')).toBeUndefined();
    expect(sample(text, 'jobkit_job_exit_code')).toBeUndefined();

    clock += 500;
    metrics.finished({ exitCode: 0 });
    clock += 10_000;
    text = await metrics.registry.metrics();
    expect(sample(text, 'jobkit_job_duration_seconds')).toBe(2);
    expect(sample(text, 'jobkit_job_end_time_seconds')).toBe(1_700_000_002);
    expect(sample(text, 'jobkit_job_last_success_time_seconds')).toBe(1_700_000_002);
    expect(sample(text, 'jobkit_job_exit_code')).toBe(0);
  });

  it('sets no last-success time for a failed or interrupted run, and the first finished() wins', async () => {
    const metrics = createJobMetrics({ identity: testIdentity() });
    metrics.finished({ exitCode: 143 });
    metrics.finished({ exitCode: 0 });
    const text = await metrics.registry.metrics();
    expect(metrics.isFinished).toBe(true);
    expect(sample(text, 'jobkit_job_exit_code')).toBe(143);
    expect(sample(text, 'jobkit_job_last_success_time_seconds')).toBeUndefined();
  });

  it('records the end without an exit code when it is not known', async () => {
    const metrics = createJobMetrics({ identity: testIdentity() });
    metrics.finished({ exitCode: undefined });
    const text = await metrics.registry.metrics();
    expect(sample(text, 'jobkit_job_end_time_seconds')).toBeGreaterThan(0);
    expect(sample(text, 'jobkit_job_exit_code')).toBeUndefined();
  });

  it('puts user metrics on the same registry', async () => {
    const metrics = createJobMetrics({ identity: testIdentity() });
    metrics.counter({ name: 'etl_rows_written_total', help: 'Rows written.', labelNames: ['table'] }).inc({ table: 'orders' }, 5);
    metrics.gauge({ name: 'etl_queue_depth', help: 'Queue depth.' }).set(7);
    metrics.histogram({ name: 'etl_batch_seconds', help: 'Batch time.', buckets: [1] }).observe(0.5);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'etl_rows_written_total{table="orders"}')).toBe(5);
    expect(sample(text, 'etl_queue_depth')).toBe(7);
    expect(sample(text, 'etl_batch_seconds_count')).toBe(1);
  });

  it('maps shutdown reasons to the exit-code table', () => {
    expect(exitCodeForReason('completed')).toBe(0);
    expect(exitCodeForReason('signal')).toBe(143);
    expect(exitCodeForReason('deadline')).toBe(124);
    expect(exitCodeForReason('failed')).toBeUndefined();
  });
});
