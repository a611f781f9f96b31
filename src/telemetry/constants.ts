/**
 * Defaults of the telemetry options: the log level, the Pushgateway pusher
 * and the tracing flush. The option types point their `@default` tags here;
 * docs/configuration.md and docs/observability.md quote these values.
 */
import type { PushGroupBy } from './pushgateway.ts';

/** pino's level names, lowest first (`silent` logs nothing). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * Minimum log level: `info` keeps a job's progress and every warning without
 * the per-item noise of `debug`.
 *
 * @default 'info'
 */
export const DEFAULT_LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

/**
 * Which label tells the Pushgateway groups of one job apart: the completion
 * index, so a retried index replaces its own group instead of adding one per
 * pod (the gateway never forgets a group by itself).
 *
 * @default 'index'
 */
export const DEFAULT_PUSH_GROUP_BY: PushGroupBy = 'index';

/**
 * Milliseconds between periodic pushes: twice a minute matches a typical
 * Prometheus scrape of the gateway, so a long run's progress stays current.
 *
 * @default 30_000
 */
export const DEFAULT_PUSH_INTERVAL_MS = 30_000;

/**
 * Most milliseconds one push may take, the final push included: a gateway
 * that does not answer must not eat the shutdown budget of the checkpoint.
 *
 * @default 3_000
 */
export const DEFAULT_PUSH_TIMEOUT_MS = 3_000;

/**
 * Whether a successful run deletes its group instead of pushing it a last
 * time: false, because the "time since last success" alert needs
 * `jobkit_job_last_success_time_seconds` to stay.
 *
 * @default false
 */
export const DEFAULT_DELETE_ON_SUCCESS = false;

/**
 * Most milliseconds the final trace flush may take at shutdown: enough for one
 * OTLP export to a nearby collector, short next to the grace period.
 *
 * @default 5_000
 */
export const DEFAULT_FLUSH_BUDGET_MS = 5_000;
