// Starts the OpenTelemetry SDK in this worker (global registration): one file, one SDK.
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { Lifecycle, ShutdownHook } from '../../../src/runtime/types.ts';
import { startTracing } from '../../../src/telemetry/tracing.ts';
import { CollectingExporter, testIdentity } from './helpers.ts';

describe('tracing shutdown hook', () => {
  it('registers in the telemetry phase, ends a job span still open at SIGTERM as an error, and flushes it', async () => {
    const hooks: ShutdownHook[] = [];
    const lifecycle: Lifecycle = {
      signal: new AbortController().signal,
      onShutdown: (hook) => {
        hooks.push(hook);
        return () => hooks.splice(hooks.indexOf(hook), 1);
      },
    };
    const exporter = new CollectingExporter();
    const tracing = await startTracing({ identity: testIdentity(), exporter, lifecycle, env: {}, flushBudgetMs: 2_000 });
    expect(hooks.map((h) => [h.name, h.phase, h.budgetMs])).toEqual([['tracing.flush', 'telemetry', 2_050]]);

    let release!: () => void;
    const running = tracing.inJobSpan(() => new Promise<void>((resolve) => (release = resolve)));
    await hooks[0]!.run({ reason: 'signal', signal: new AbortController().signal, budgetMs: 2_000 });

    const [run] = exporter.named('job.run');
    expect(run?.status.code).toBe(SpanStatusCode.ERROR);
    expect(run?.attributes['jobkit.shutdown.reason']).toBe('signal');
    expect(hooks).toHaveLength(0);
    release();
    await running;
    expect(exporter.named('job.run')).toHaveLength(1);
  });
});
