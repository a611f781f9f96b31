// Tracing is not started in this file: the API's no-op path, as in a job without OTEL_* config.
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/telemetry/logger.ts';
import { traceLogMixin, withSpan } from '../../../src/telemetry/span.ts';
import { startTracing } from '../../../src/telemetry/tracing.ts';
import { captureLines, testIdentity } from './helpers.ts';

describe('withSpan without tracing configured', () => {
  it('returns what a synchronous function returns and gives it a non-recording span', () => {
    const result = withSpan('item', (span) => {
      expect(span.isRecording()).toBe(false);
      return 42;
    });
    expect(result).toBe(42);
  });

  it('resolves with what an async function resolves', async () => {
    await expect(withSpan('item', async () => await Promise.resolve('done'))).resolves.toBe('done');
  });

  it('rethrows the same error, sync and async', async () => {
    const boom = new Error('boom');
    expect(() =>
      withSpan('item', () => {
        throw boom;
      }),
    ).toThrow(boom);
    await expect(withSpan('item', () => Promise.reject(boom))).rejects.toBe(boom);
  });

  it('adds no trace fields to log lines, and leaves their own fields intact', () => {
    expect(traceLogMixin()).toEqual({});
    withSpan('item', () => expect(traceLogMixin()).toEqual({}));
    const logs = captureLines();
    const log = createLogger({ identity: testIdentity(), mixin: traceLogMixin, destination: logs.stream, env: {} });
    log.info({ rows: 3 }, 'first');
    log.info({ rows: 4 }, 'second');
    expect(logs.lines().map((l) => [l.msg, l.rows, l.trace_id])).toEqual([
      ['first', 3, undefined],
      ['second', 4, undefined],
    ]);
  });
});

describe('startTracing when not configured', () => {
  it('returns a disabled tracing that still runs the job and never registers a provider', async () => {
    const tracing = await startTracing({ identity: testIdentity(), env: {} });
    expect(tracing.enabled).toBe(false);
    await expect(tracing.inJobSpan(() => Promise.resolve(7))).resolves.toBe(7);
    await expect(tracing.shutdown()).resolves.toBeUndefined();
    expect(trace.getTracer('jobkit').startSpan('x').isRecording()).toBe(false);
  });
});
