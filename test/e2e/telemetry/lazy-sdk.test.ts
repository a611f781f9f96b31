import { describe, expect, it } from 'vitest';
import { closedPortUrl } from '../../integration/telemetry/gateway.ts';
import { cleanEnv, fixture, runChild } from './child.ts';

async function loadedPackages(env: Record<string, string>): Promise<{ enabled: boolean; packages: string[] }> {
  const result = await runChild(fixture('lazy-tracing.ts'), cleanEnv(env));
  expect(result.code, result.stderr).toBe(0);
  const report = result.lines.find((l) => 'packages' in l);
  if (report === undefined) throw new Error(`no report: ${JSON.stringify(result.lines)} ${result.stderr}`);
  return report as unknown as { enabled: boolean; packages: string[] };
}

describe('the OpenTelemetry SDK is loaded only when tracing is configured', () => {
  it('without OTEL_* configuration: only @opentelemetry/api is loaded', async () => {
    const report = await loadedPackages({});
    expect(report).toEqual({ enabled: false, packages: ['@opentelemetry/api'] });
  });

  it('with OTEL_SDK_DISABLED=true and an endpoint: still only the API', async () => {
    const report = await loadedPackages({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_SDK_DISABLED: 'true' });
    expect(report).toEqual({ enabled: false, packages: ['@opentelemetry/api'] });
  });

  it('with an endpoint: the SDK is loaded (so the check above can tell)', async () => {
    const report = await loadedPackages({ OTEL_EXPORTER_OTLP_ENDPOINT: await closedPortUrl(), OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(report.enabled).toBe(true);
    expect(report.packages).toEqual(expect.arrayContaining(['@opentelemetry/sdk-node', '@opentelemetry/sdk-trace']));
  });
});
