import { describe, expect, it } from 'vitest';
import { identityResourceAttributes, resolveTracingConfig } from '../../../src/telemetry/tracing.ts';
import { CollectingExporter, testIdentity } from './helpers.ts';

describe('resolveTracingConfig', () => {
  it('is off when nothing is configured', () => {
    expect(resolveTracingConfig({})).toEqual({ enabled: false, because: 'no OTLP endpoint configured' });
  });

  it('is on when an OTLP endpoint is set', () => {
    expect(resolveTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).enabled).toBe(true);
    expect(resolveTracingConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).enabled).toBe(true);
  });

  it('honours OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none over the endpoint', () => {
    expect(resolveTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'TRUE' }).enabled).toBe(false);
    expect(resolveTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
    expect(resolveTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'false' }).enabled).toBe(true);
  });

  it('is on when an exporter is named explicitly', () => {
    expect(resolveTracingConfig({ OTEL_TRACES_EXPORTER: 'console' }).enabled).toBe(true);
  });

  it('lets code decide over the environment', () => {
    expect(resolveTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, { enabled: false }).enabled).toBe(false);
    expect(resolveTracingConfig({ OTEL_SDK_DISABLED: 'true' }, { enabled: true }).enabled).toBe(true);
    expect(resolveTracingConfig({}, { exporter: new CollectingExporter() }).enabled).toBe(true);
  });
});

describe('identityResourceAttributes', () => {
  it('describes a Kubernetes pod with the semantic-convention names', () => {
    expect(identityResourceAttributes(testIdentity(), 'etl-svc')).toEqual({
      'service.name': 'etl-svc',
      'jobkit.platform': 'kubernetes',
      'jobkit.job.name': 'etl',
      'jobkit.job.index': 3,
      'jobkit.job.count': 8,
      'jobkit.job.attempt': 1,
      'jobkit.run.id': 'etl',
      'jobkit.run.trigger': 'none',
      'k8s.job.name': 'etl',
      'k8s.namespace.name': 'data',
      'k8s.pod.name': 'etl-3-x7k2p',
      'k8s.pod.uid': '5f0c8a8e-1111-2222-3333-444455556666',
      'k8s.node.name': 'node-a',
    });
  });

  it('names the CronJob and the run of a scheduled Job', () => {
    const identity = testIdentity({ jobName: 'report-29453761', cronJobName: 'report', scheduledTime: new Date('2026-01-01T00:01:00Z'), trigger: 'schedule' });
    expect(identityResourceAttributes(identity, 'report')).toMatchObject({
      'k8s.cronjob.name': 'report',
      'k8s.job.name': 'report-29453761',
      'jobkit.run.id': 'report@2026-01-01T00:01:00Z',
      'jobkit.run.trigger': 'schedule',
      'jobkit.run.scheduled_time': '2026-01-01T00:01:00Z',
    });
  });

  it('claims no k8s.* attributes on another platform, and omits what is unknown', () => {
    const attributes = identityResourceAttributes(
      testIdentity({ platform: 'aws-batch', podName: undefined, podUid: undefined, nodeName: undefined, attempt: undefined }),
      'etl',
    );
    expect(Object.keys(attributes).filter((k) => k.startsWith('k8s.'))).toEqual([]);
    expect(attributes).not.toHaveProperty('jobkit.job.attempt');
  });
});
