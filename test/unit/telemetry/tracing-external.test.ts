// Registers a tracer provider globally in this worker, the way a user's own OpenTelemetry set-up would.
import { trace } from '@opentelemetry/api';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { expect, it } from 'vitest';
import { withSpan } from '../../../src/telemetry/span.ts';
import { CollectingExporter } from './helpers.ts';

it('jobkit spans go to a tracer provider the user registered themselves, even one registered after the first span', () => {
  expect(withSpan('before', (span) => span.isRecording())).toBe(false);

  const exporter = new CollectingExporter();
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));

  expect(withSpan('after', (span) => span.isRecording())).toBe(true);
  expect(exporter.spans.map((s) => s.name)).toEqual(['after']);
});
