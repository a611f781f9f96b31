// Starts the OpenTelemetry SDK in this worker (global registration): one file, one SDK.
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/telemetry/logger.ts';
import { SPAN_NAMES, traceLogMixin, withSpan } from '../../../src/telemetry/span.ts';
import { type JobTracing, startTracing } from '../../../src/telemetry/tracing.ts';
import { captureLines, CollectingExporter, testIdentity } from './helpers.ts';

const exporter = new CollectingExporter();
const PARENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
let tracing: JobTracing;
const logs = captureLines();

beforeAll(async () => {
  tracing = await startTracing({
    identity: testIdentity(),
    exporter,
    env: { OTEL_SERVICE_NAME: 'etl-svc', TRACEPARENT: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` },
  });
  const log = createLogger({ identity: testIdentity(), mixin: traceLogMixin, destination: logs.stream, env: {} });
  await tracing.inJobSpan(async () => {
    log.info('job started');
    for (const n of [1, 2]) {
      await tracing.trace(SPAN_NAMES.item, async () => {
        log.info({ n }, 'item');
        await withSpan(SPAN_NAMES.checkpointSave, () => Promise.resolve(), { attributes: { 'jobkit.checkpoint.bytes': 10 * n } });
      });
    }
    await tracing
      .trace('item', () => Promise.reject(new TypeError('bad row')))
      .catch(() => undefined);
  });
  log.info({ rows: 3 }, 'after the job span');
  await tracing.shutdown({ reason: 'completed' });
});

afterAll(async () => {
  await tracing.shutdown();
});

describe('tracing when enabled', () => {
  it('is enabled', () => {
    expect(tracing.enabled).toBe(true);
  });

  it('exports the job span as a child of TRACEPARENT, with items and checkpoint saves under it', () => {
    const [run] = exporter.named('job.run');
    expect(run).toBeDefined();
    expect(run!.spanContext().traceId).toBe(PARENT_TRACE);
    expect(run!.parentSpanContext?.spanId).toBe(PARENT_SPAN);
    const items = exporter.named('item');
    expect(items).toHaveLength(3);
    for (const item of items) expect(item.parentSpanContext?.spanId).toBe(run!.spanContext().spanId);
    const saves = exporter.named('checkpoint.save');
    expect(saves.map((s) => s.attributes['jobkit.checkpoint.bytes'])).toEqual([10, 20]);
    for (const save of saves) expect(items.map((i) => i.spanContext().spanId)).toContain(save.parentSpanContext?.spanId);
  });

  it('marks a failed item with status ERROR, the exception and error.type, and leaves the job span OK', () => {
    const failed = exporter.named('item').find((s) => s.status.code === SpanStatusCode.ERROR);
    expect(failed?.status.message).toBe('bad row');
    expect(failed?.attributes['error.type']).toBe('TypeError');
    expect(failed?.events.map((e) => e.name)).toContain('exception');
    expect(exporter.named('job.run')[0]!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('carries the identity in the resource, service.name from OTEL_SERVICE_NAME', () => {
    const attributes = exporter.named('job.run')[0]!.resource.attributes;
    expect(attributes).toMatchObject({
      'service.name': 'etl-svc',
      'k8s.job.name': 'etl',
      'k8s.namespace.name': 'data',
      'k8s.pod.name': 'etl-3-x7k2p',
      'k8s.pod.uid': '5f0c8a8e-1111-2222-3333-444455556666',
      'k8s.node.name': 'node-a',
      'jobkit.job.index': 3,
      'jobkit.job.attempt': 1,
    });
  });

  it('puts trace_id and span_id of the active span on log lines, and nothing outside spans', () => {
    const lines = logs.lines();
    const started = lines.find((l) => l.msg === 'job started');
    expect(started).toMatchObject({ trace_id: PARENT_TRACE, span_id: exporter.named('job.run')[0]!.spanContext().spanId, trace_flags: '01' });
    const itemLines = lines.filter((l) => l.msg === 'item');
    expect(itemLines.map((l) => l.span_id)).toEqual(exporter.named('item').slice(0, 2).map((s) => s.spanContext().spanId));
    const after = lines.find((l) => l.msg === 'after the job span');
    expect(after).toMatchObject({ rows: 3 });
    expect(after).not.toHaveProperty('trace_id');
  });
});
