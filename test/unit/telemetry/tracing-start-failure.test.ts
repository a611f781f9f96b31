import { expect, it, vi } from 'vitest';
import { startTracing } from '../../../src/telemetry/tracing.ts';
import { CollectingExporter, testIdentity } from './helpers.ts';

vi.mock('@opentelemetry/sdk-node', () => ({
  NodeSDK: class {
    start(): void {
      throw new Error('bad OTEL_* setting');
    }
  },
}));

it('an SDK that fails to start is logged once and the job runs untraced, never failed', async () => {
  const warnings: unknown[][] = [];
  const tracing = await startTracing({
    identity: testIdentity(),
    exporter: new CollectingExporter(),
    env: {},
    log: { debug: () => {}, info: () => {}, error: () => {}, warn: (...args: unknown[]) => void warnings.push(args) },
  });
  expect(tracing.enabled).toBe(false);
  await expect(tracing.inJobSpan(() => Promise.resolve('ran'))).resolves.toBe('ran');
  expect(warnings).toHaveLength(1);
  expect(String(warnings[0]?.[1])).toMatch(/without tracing/);
});
