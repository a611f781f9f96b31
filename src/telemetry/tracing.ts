/**
 * OpenTelemetry tracing for a job, started only when configured.
 *
 * Configured means: an OTLP endpoint in the standard environment
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), or an
 * explicit OTEL_TRACES_EXPORTER, or the `enabled`/`exporter` options, and
 * OTEL_SDK_DISABLED not true. Otherwise @opentelemetry/sdk-node is never
 * imported (it is loaded with a dynamic import on the enabled path only), and
 * spans from {@link withSpan} are the API's no-op spans.
 *
 * The SDK packages ({@link TRACING_SDK_PACKAGES}) are optional peer
 * dependencies of jobkit: an app that wants traces installs them. When tracing
 * is configured but they are not installed, one warning line names them and
 * the job runs untraced; it never fails for it.
 *
 * When enabled, the SDK is set up from the standard OTEL_* variables (exporter,
 * protocol, headers, sampler, OTEL_RESOURCE_ATTRIBUTES), plus resource
 * attributes from the job identity. A short-lived process loses its last spans
 * unless it flushes: a `tracing.flush` shutdown hook (phase `telemetry`) ends a
 * still-open job span and calls `sdk.shutdown()` within its budget.
 */
import { type Attributes, context, diag, type DiagLogger, DiagLogLevel, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
// Type-only: erased at run time, so the SDK is not loaded by this import, and
// absent from the emitted .d.ts (only private functions use it), so jobkit's
// types need no SDK installed.
import type * as OtelResources from '@opentelemetry/resources';
import type * as OtelSdkNode from '@opentelemetry/sdk-node';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { type Env, readString } from '../runtime/config.ts';
import { describeRun, rfc3339Seconds } from '../runtime/run.ts';
import type { JobIdentity, JobLogger, Lifecycle, ShutdownContext, ShutdownReason } from '../runtime/types.ts';
import { TELEMETRY_ENV } from './config.ts';
import { DEFAULT_FLUSH_BUDGET_MS } from './constants.ts';
import { failSpan, SPAN_NAMES, TRACER_NAME, withSpan } from './span.ts';

/**
 * The packages tracing loads when it is configured: optional peer
 * dependencies of jobkit, installed by the app that wants traces
 * (`npm install @opentelemetry/sdk-node @opentelemetry/resources`).
 */
export const TRACING_SDK_PACKAGES = ['@opentelemetry/sdk-node', '@opentelemetry/resources'] as const;

/**
 * A span exporter: the shape of the SDK's `SpanExporter`
 * (`@opentelemetry/sdk-trace`), which every OpenTelemetry exporter has.
 * Declared here so that jobkit's types need no SDK installed.
 *
 * @example
 * ```ts
 * import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
 * const exporter: TraceExporter = new InMemorySpanExporter();
 * ```
 */
export interface TraceExporter {
  /** Export finished spans (the SDK's `ReadableSpan`s); report the outcome (`code` 0 success, 1 failed). */
  export(spans: unknown[], resultCallback: (result: { code: number; error?: Error }) => void): void;
  /** Stop the exporter. */
  shutdown(): Promise<void>;
  /** Export everything buffered now. */
  forceFlush?(): Promise<void>;
}

/** Tracing settings given in code; each wins over the OTEL_* environment. */
export interface TracingOptions {
  /** Force tracing on (true) or off (false). Default: decided by the OTEL_* environment. */
  readonly enabled?: boolean;
  /** Export spans here instead of the exporter OTEL_TRACES_EXPORTER describes (tests, custom backends). Implies enabled. */
  readonly exporter?: TraceExporter;
  /** `service.name`. Default OTEL_SERVICE_NAME, else the job name. */
  readonly serviceName?: string;
  /**
   * Most milliseconds the final flush may take.
   *
   * @default {@link DEFAULT_FLUSH_BUDGET_MS} (5 000)
   */
  readonly flushBudgetMs?: number;
}

/** Options of {@link startTracing}. */
export interface StartTracingOptions extends TracingOptions {
  /** The identity the resource attributes come from. */
  readonly identity: JobIdentity;
  /** Registers the final flush (phase `telemetry`). Without it, call {@link JobTracing.shutdown} yourself. */
  readonly lifecycle?: Lifecycle;
  /** Where the SDK's own warnings and errors (export failures) go, each distinct message once. */
  readonly log?: JobLogger;
  /**
   * Environment that decides whether tracing is on, and where TRACEPARENT is
   * read from. Default `process.env`. (The SDK itself always reads `process.env`.)
   */
  readonly env?: Env;
}

/**
 * The job's tracing: the root span around `main`, the item helper, the flush.
 *
 * @example
 * ```ts
 * const tracing = await startTracing({ identity, lifecycle, log });
 * await tracing.inJobSpan(() => main(job));
 * ```
 */
export interface JobTracing {
  /** Whether the SDK was started (spans are recorded and exported). */
  readonly enabled: boolean;
  /**
   * Run `main` inside the `job.run` span, the root of the job's trace (or a
   * child of the TRACEPARENT given in the environment). The span records an
   * error thrown by `fn` (or the stop reason when `fn` returns after the
   * lifecycle was stopped) and ends when `fn` settles, or at shutdown if `fn`
   * is still running then (SIGTERM, deadline).
   */
  inJobSpan<T>(fn: () => Promise<T>): Promise<T>;
  /** Run `fn` in a child span of the active span: {@link withSpan} (`job.trace`). */
  readonly trace: typeof withSpan;
  /** End an open job span and flush the SDK, within `budgetMs`. Never rejects. Idempotent. */
  shutdown(ctx?: Partial<Pick<ShutdownContext, 'reason' | 'signal' | 'budgetMs'>>): Promise<void>;
}

/** The resolved decision. */
export interface TracingConfig {
  readonly enabled: boolean;
  /** Why, for a log line: `OTEL_EXPORTER_OTLP_ENDPOINT is set`, `OTEL_SDK_DISABLED=true`... */
  readonly because: string;
}

const MAX_DIAG_MESSAGES = 20;
const HOOK_MARGIN_MS = 50;

/**
 * Decide whether tracing is on, from the options and the standard OTEL_* variables.
 *
 * @example
 * ```ts
 * resolveTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' }).enabled; // true
 * resolveTracingConfig({}).enabled; // false: nothing configured, nothing loaded
 * ```
 */
export function resolveTracingConfig(env: Env = process.env, options: TracingOptions = {}): TracingConfig {
  if (options.enabled === false) return { enabled: false, because: 'option enabled is false' };
  if (options.enabled === true) return { enabled: true, because: 'option enabled is true' };
  if (options.exporter !== undefined) return { enabled: true, because: 'option exporter is set' };
  return TELEMETRY_ENV.tracing(env);
}

/**
 * The resource attributes of a job's spans: `service.name`, the Kubernetes
 * semantic-convention attributes (`k8s.job.name`, `k8s.namespace.name`,
 * `k8s.pod.name`, `k8s.pod.uid`, `k8s.node.name`, on Kubernetes and under the
 * local emulator), and `jobkit.job.*` (name, index, count, attempt, platform)
 * everywhere. OTEL_RESOURCE_ATTRIBUTES wins over these.
 *
 * @example
 * ```ts
 * identityResourceAttributes(identity, 'etl')['k8s.job.name']; // 'etl'
 * ```
 */
export function identityResourceAttributes(identity: JobIdentity, serviceName: string): Attributes {
  const attributes: Attributes = {
    'service.name': serviceName,
    'jobkit.platform': identity.platform,
    'jobkit.job.name': identity.jobName,
    'jobkit.job.index': identity.index,
    'jobkit.job.count': identity.count,
  };
  if (identity.attempt !== undefined) attributes['jobkit.job.attempt'] = identity.attempt;
  const run = describeRun(identity);
  attributes['jobkit.run.id'] = run.id;
  attributes['jobkit.run.trigger'] = run.trigger;
  if (run.scheduledTime !== undefined) attributes['jobkit.run.scheduled_time'] = rfc3339Seconds(run.scheduledTime);
  if (identity.platform === 'kubernetes' || identity.platform === 'local') {
    attributes['k8s.job.name'] = identity.jobName;
    attributes['k8s.namespace.name'] = identity.namespace;
    if (identity.podName !== undefined) attributes['k8s.pod.name'] = identity.podName;
    if (identity.podUid !== undefined) attributes['k8s.pod.uid'] = identity.podUid;
    if (identity.nodeName !== undefined) attributes['k8s.node.name'] = identity.nodeName;
    if (identity.cronJobName !== undefined) attributes['k8s.cronjob.name'] = identity.cronJobName;
  }
  return attributes;
}

/**
 * Start tracing when configured (see {@link resolveTracingConfig}); otherwise
 * return a disabled {@link JobTracing} without loading the SDK. Never throws:
 * an SDK that is not installed, or fails to start, is logged (one warning
 * line) and the job runs untraced; an unreachable collector only loses spans.
 *
 * @example
 * ```ts
 * // OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318
 * const tracing = await startTracing({ identity, lifecycle, log });
 * await tracing.inJobSpan(async () => {
 *   await tracing.trace('item', async () => { await work(); });
 * });
 * ```
 */
export async function startTracing(options: StartTracingOptions): Promise<JobTracing> {
  const env = options.env ?? process.env;
  const config = resolveTracingConfig(env, options);
  if (!config.enabled) return DISABLED_TRACING;

  let sdk: NodeSDK;
  try {
    sdk = await startSdk(options, env);
  } catch (err) {
    // A telemetry backend is never fatal: the job runs untraced.
    const missing = missingSdkPackages(err);
    if (missing.length === 0) {
      options.log?.warn({ err }, 'OpenTelemetry could not start; the job runs without tracing');
    } else {
      const message =
        `tracing is configured (${config.because}) but the OpenTelemetry SDK is not installed: ` +
        `npm install ${TRACING_SDK_PACKAGES.join(' ')}; the job runs without tracing`;
      if (options.log === undefined) process.emitWarning(message, 'JobkitWarning');
      else options.log.warn({ missing }, message);
    }
    return DISABLED_TRACING;
  }
  return createEnabledTracing(sdk, options, env);
}

/**
 * Which of {@link TRACING_SDK_PACKAGES} a failed import says are not
 * installed; [] when it failed for another reason (a package present but
 * broken is a start failure, not a missing SDK).
 *
 * @example
 * ```ts
 * missingSdkPackages(Object.assign(new Error("Cannot find package '@opentelemetry/sdk-node' imported from /app/x.js"), { code: 'ERR_MODULE_NOT_FOUND' }));
 * // ['@opentelemetry/sdk-node']
 * ```
 */
export function missingSdkPackages(err: unknown): string[] {
  // The loader's error itself, the errors of an AggregateError, and their causes (a loader may wrap it).
  const errors: Error[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (!(e instanceof Error) || depth > 5) return;
    errors.push(e);
    if (e instanceof AggregateError) for (const inner of e.errors as unknown[]) visit(inner, depth + 1);
    visit(e.cause, depth + 1);
  };
  visit(err, 0);
  return TRACING_SDK_PACKAGES.filter((name) =>
    errors.some(
      (e) => (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && (e.message.includes(`'${name}'`) || e.message.includes(`"${name}"`)),
    ),
  );
}

/** The SDK's modules, imported together so that one warning names every missing package. */
async function importSdk(): Promise<[typeof OtelSdkNode, typeof OtelResources]> {
  const [node, resources] = await Promise.allSettled([import('@opentelemetry/sdk-node'), import('@opentelemetry/resources')]);
  if (node.status === 'fulfilled' && resources.status === 'fulfilled') return [node.value, resources.value];
  const failures: unknown[] = [];
  if (node.status === 'rejected') failures.push(node.reason);
  if (resources.status === 'rejected') failures.push(resources.reason);
  throw failures.length === 1 ? failures[0] : new AggregateError(failures, 'the OpenTelemetry SDK could not be loaded');
}

async function startSdk(options: StartTracingOptions, env: Env): Promise<NodeSDK> {
  const [{ NodeSDK: Sdk }, { defaultResource, resourceFromAttributes }] = await importSdk();
  const serviceName = options.serviceName ?? readString(env, 'OTEL_SERVICE_NAME') ?? options.identity.jobName;
  if (options.log !== undefined && readString(env, 'OTEL_LOG_LEVEL') === undefined) {
    diag.setLogger(onceLogger(options.log), DiagLogLevel.WARN);
  }
  const sdk = new Sdk({
    // Identity first, so the detectors (OTEL_RESOURCE_ATTRIBUTES among them) can override it.
    resource: defaultResource().merge(resourceFromAttributes(identityResourceAttributes(options.identity, serviceName))),
    serviceName,
    // TraceExporter is the SDK's SpanExporter, declared structurally (see there).
    ...(options.exporter === undefined ? {} : { traceExporter: options.exporter }),
    // jobkit sets up traces only: no OTLP metrics or logs unless the user asks for them.
    ...(readString(env, 'OTEL_METRICS_EXPORTER') === undefined ? { metricReaders: [] } : {}),
    ...(readString(env, 'OTEL_LOGS_EXPORTER') === undefined ? { logRecordProcessors: [] } : {}),
  });
  sdk.start();
  return sdk;
}

function createEnabledTracing(sdk: NodeSDK, options: StartTracingOptions, env: Env): JobTracing {
  const tracer = trace.getTracer(TRACER_NAME);
  const flushBudgetMs = options.flushBudgetMs ?? DEFAULT_FLUSH_BUDGET_MS;
  const parent = propagation.extract(ROOT_CONTEXT, {
    traceparent: readString(env, 'TRACEPARENT'),
    tracestate: readString(env, 'TRACESTATE'),
  });
  let endOpenJobSpan: ((reason: ShutdownReason | undefined) => void) | undefined;
  let shutdownPromise: Promise<void> | undefined;
  let unregister: (() => void) | undefined;

  const tracing: JobTracing = {
    enabled: true,
    trace: withSpan,
    inJobSpan(fn) {
      const span = tracer.startSpan(SPAN_NAMES.jobRun, { attributes: { 'jobkit.job.index': options.identity.index } }, parent);
      let open = true;
      const end = (): void => {
        if (!open) return;
        open = false;
        endOpenJobSpan = undefined;
        span.end();
      };
      endOpenJobSpan = (reason) => {
        span.setAttribute('jobkit.shutdown.reason', reason ?? 'unknown');
        if (reason !== 'completed') failSpan(span, new Error(`still running at shutdown (${reason ?? 'unknown'})`));
        end();
      };
      return context.with(trace.setSpan(parent, span), fn).then(
        (value) => {
          // Returning after a stop request is an early stop (exit 143/124), not a success.
          const stopped = options.lifecycle?.signal;
          if (open && stopped?.aborted === true) failSpan(span, stopped.reason);
          end();
          return value;
        },
        (err: unknown) => {
          if (open) failSpan(span, err);
          end();
          throw err;
        },
      );
    },
    shutdown(ctx = {}) {
      shutdownPromise ??= (async () => {
        unregister?.();
        endOpenJobSpan?.(ctx.reason);
        // Stop just before the lifecycle would abandon the hook, so it ends cleanly.
        await raceBudget(sdk.shutdown(), Math.min((ctx.budgetMs ?? flushBudgetMs) - HOOK_MARGIN_MS, flushBudgetMs), ctx.signal);
      })();
      return shutdownPromise;
    },
  };

  if (options.lifecycle !== undefined) {
    unregister = options.lifecycle.onShutdown({
      name: 'tracing.flush',
      phase: 'telemetry',
      budgetMs: flushBudgetMs + HOOK_MARGIN_MS,
      run: (ctx) => tracing.shutdown(ctx),
    });
  }
  return tracing;
}

const DISABLED_TRACING: JobTracing = {
  enabled: false,
  trace: withSpan,
  inJobSpan: (fn) => fn(),
  shutdown: () => Promise.resolve(),
};

/** Wait for `work`, but no longer than the budget or the abort; never rejects. */
async function raceBudget(work: Promise<unknown>, budgetMs: number, signal: AbortSignal | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, budgetMs));
    timer.unref();
    if (signal !== undefined) {
      onAbort = resolve;
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    await Promise.race([work.then(() => undefined, () => undefined), stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

/** The SDK's diagnostics into the job's log: warnings and errors, each distinct message once. */
function onceLogger(log: JobLogger): DiagLogger {
  const seen = new Set<string>();
  const write = (message: string, ...args: unknown[]): void => {
    if (seen.has(message) || seen.size >= MAX_DIAG_MESSAGES) return;
    seen.add(message);
    log.warn({ otel: args.length === 0 ? undefined : args.map(String).join(' ') }, `OpenTelemetry: ${message}`);
  };
  const ignore = (): void => {};
  return { error: write, warn: write, info: ignore, debug: ignore, verbose: ignore };
}
