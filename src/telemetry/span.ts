/**
 * Spans and trace-correlated logs through @opentelemetry/api only: the API is a
 * few kilobytes and is a no-op until an SDK registers a tracer provider, so
 * every jobkit module (and job code) can trace unconditionally. Whether spans
 * are recorded and exported is decided once, by tracing.ts.
 */
import { type Attributes, INVALID_SPAN_CONTEXT, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

export type { Attributes, Span } from '@opentelemetry/api';

/** Name of the tracer jobkit's spans come from (the instrumentation scope). */
export const TRACER_NAME = 'jobkit';

/**
 * Span names used by jobkit modules, so dashboards and tests can rely on them.
 *
 * @example
 * ```ts
 * await withSpan(SPAN_NAMES.checkpointSave, () => save(state), { attributes: { 'jobkit.checkpoint.bytes': n } });
 * ```
 */
export const SPAN_NAMES = {
  /** The whole run of `main`: the root of the job's trace. */
  jobRun: 'job.run',
  /** One checkpoint save (data objects and the commit object). */
  checkpointSave: 'checkpoint.save',
  /** One checkpoint load at start. */
  checkpointLoad: 'checkpoint.load',
  /** One idempotent call (`idempotency.run`), the check and the user's function. */
  idempotency: 'idempotency.run',
  /** The default name of a user item span (`job.trace('item', fn)`). */
  item: 'item',
} as const;

/** Options of {@link withSpan}. */
export interface WithSpanOptions {
  /** Attributes set when the span starts (low-cardinality names; values may vary). */
  readonly attributes?: Attributes;
}

// The API returns a ProxyTracer that follows whatever provider is registered
// later, so one tracer obtained at import time stays valid.
const tracer = trace.getTracer(TRACER_NAME);
const NOOP_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
let providerRegistered = false;

/**
 * Whether any tracer provider is registered (by jobkit or by the user's own
 * SDK set-up). Until one is, the API's no-op span still costs a context copy
 * per call; skipping it makes an untraced item nearly free. Once a provider is
 * seen the answer is cached: spans then always go through the API.
 */
function tracingPossible(): boolean {
  if (providerRegistered) return true;
  // The global provider is the API's ProxyTracerProvider; it has a delegate once an SDK registered.
  const provider = trace.getTracerProvider() as { getDelegateTracer?: (name: string) => unknown };
  providerRegistered = typeof provider.getDelegateTracer !== 'function' || provider.getDelegateTracer(TRACER_NAME) !== undefined;
  return providerRegistered;
}

/**
 * Run `fn` inside a new span that is the active span while it runs (child spans
 * and log lines attach to it). The span ends when `fn` returns or its promise
 * settles; an error is recorded on the span, which gets status ERROR, and is
 * rethrown unchanged. Until a tracer provider is registered, `fn` is simply
 * called with a non-recording span.
 *
 * @example
 * ```ts
 * for (const file of files) {
 *   await job.trace('item', async (span) => {
 *     span.setAttribute('file.size', file.size);
 *     await transform(file);
 *   }, { attributes: { 'file.name': file.name } });
 * }
 * ```
 */
export function withSpan<T>(name: string, fn: (span: Span) => T, options?: WithSpanOptions): T {
  if (!tracingPossible()) return fn(NOOP_SPAN);
  return tracer.startActiveSpan(name, { attributes: options?.attributes }, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (err) {
      failSpan(span, err);
      span.end();
      throw err;
    }
    if (isPromiseLike(result)) {
      return result.then(
        (value) => {
          span.end();
          return value;
        },
        (err: unknown) => {
          failSpan(span, err);
          span.end();
          throw err;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

/**
 * Mark a span as failed with an error: the exception event, `error.type`, and
 * status ERROR with the error's message.
 *
 * @example
 * ```ts
 * try { await upload(); } catch (err) { failSpan(span, err); throw err; }
 * ```
 */
export function failSpan(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setAttribute('error.type', error.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/** The fields {@link traceLogMixin} adds to a log line (a type alias, so it fits pino's `Record<string, unknown>`). */
export type TraceLogFields = {
  readonly trace_id?: string;
  readonly span_id?: string;
  readonly trace_flags?: string;
};

/**
 * A pino mixin: log lines written while a span is active carry its `trace_id`,
 * `span_id` and `trace_flags` (the field names of the OpenTelemetry log data
 * model), so a log backend can jump from a line to its trace. Lines outside any
 * span get nothing.
 *
 * @example
 * ```ts
 * const log = createLogger({ identity, mixin: traceLogMixin });
 * await withSpan('item', () => log.info('parsed')); // {"trace_id":"4bf9...","span_id":"00f0...","trace_flags":"01","msg":"parsed",...}
 * ```
 */
export function traceLogMixin(): TraceLogFields {
  const ctx = trace.getActiveSpan()?.spanContext();
  // A new object every time: pino merges the line's own fields into it.
  if (ctx === undefined || !trace.isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId, trace_flags: ctx.traceFlags.toString(16).padStart(2, '0') };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
