/**
 * `jobkit/telemetry`: the redacting logger, the job's Prometheus metrics and
 * their Pushgateway pusher, spans and OpenTelemetry tracing (the SDK itself
 * is an optional peer dependency, loaded only when tracing is configured).
 *
 * @example
 * ```ts
 * import { createLogger, withSpan } from 'jobkit/telemetry';
 *
 * const log = createLogger({ level: 'debug' });
 * await withSpan('load', async () => log.info('loading'));
 * ```
 */
export {
  createLogger,
  flushLoggerSync,
  LOG_LEVELS,
  DEFAULT_REDACT_KEYS,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './logger.ts';
export {
  createJobMetrics,
  DEFAULT_ITEM_BUCKETS,
  CHECKPOINT_BUCKETS,
  type JobMetrics,
  type JobMetricsOptions,
  type ItemOutcome,
  type IdempotencyResult,
  type InterruptionReason,
  type IntegrityKind,
} from './metrics.ts';
export {
  createMetricsPusher,
  resolvePushgatewayConfig,
  groupingPath,
  type MetricsPusher,
  type MetricsPusherOptions,
  type PushgatewayOptions,
  type PushgatewayConfig,
  type PushGroupBy,
} from './pushgateway.ts';
export { telemetryOptionsFromEnv, type PushgatewayEnvOptions, type TelemetryEnvOptions } from './config.ts';
export { withSpan, failSpan, traceLogMixin, SPAN_NAMES, TRACER_NAME, type WithSpanOptions, type TraceLogFields } from './span.ts';
export {
  startTracing,
  resolveTracingConfig,
  identityResourceAttributes,
  TRACING_SDK_PACKAGES,
  type JobTracing,
  type TraceExporter,
  type TracingOptions,
  type StartTracingOptions,
  type TracingConfig,
} from './tracing.ts';
