/**
 * Tracing configured without the SDK installed (it is an optional peer
 * dependency): one warning naming the packages to install, and the job runs
 * untraced. The real case, an app installed from the packed tarball without
 * the SDK, is test/e2e/package.
 */
import { describe, expect, it, vi } from 'vitest';
import { TRACING_SDK_PACKAGES, missingSdkPackages, startTracing } from '../../../src/telemetry/tracing.ts';
import { testIdentity } from './helpers.ts';

/** The error Node's ESM loader throws for a package that is not installed. */
function notInstalled(name: string): Error {
  return Object.assign(new Error(`Cannot find package '${name}' imported from /app/node_modules/jobkit/dist/telemetry/tracing.js`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
}

vi.mock('@opentelemetry/sdk-node', () => {
  throw notInstalled('@opentelemetry/sdk-node');
});

describe('tracing without the SDK installed', () => {
  it('names the packages that are missing, and only for a missing package', () => {
    expect(missingSdkPackages(notInstalled('@opentelemetry/sdk-node'))).toEqual(['@opentelemetry/sdk-node']);
    expect(missingSdkPackages(new AggregateError([notInstalled('@opentelemetry/sdk-node'), notInstalled('@opentelemetry/resources')]))).toEqual([
      ...TRACING_SDK_PACKAGES,
    ]);
    // A dependency of an installed SDK that is missing, or any other failure, is a start failure.
    expect(missingSdkPackages(notInstalled('@opentelemetry/otlp-transformer'))).toEqual([]);
    expect(missingSdkPackages(new Error("Cannot find package '@opentelemetry/sdk-node'"))).toEqual([]);
  });

  it('logs one warning naming the packages to install, and runs untraced', async () => {
    const warnings: unknown[][] = [];
    const tracing = await startTracing({
      identity: testIdentity(),
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' },
      log: { debug: () => {}, info: () => {}, error: () => {}, warn: (...args: unknown[]) => void warnings.push(args) },
    });
    expect(tracing.enabled).toBe(false);
    await expect(tracing.inJobSpan(() => Promise.resolve('ran'))).resolves.toBe('ran');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]?.[1])).toBe(
      'tracing is configured (OTEL_EXPORTER_OTLP_ENDPOINT is set) but the OpenTelemetry SDK is not installed: ' +
        'npm install @opentelemetry/sdk-node @opentelemetry/resources; the job runs without tracing',
    );
  });
});
