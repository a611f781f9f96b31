/**
 * Pushes the job's registry to a Prometheus Pushgateway: once at start (so a
 * pod that is OOM-killed still shows when it started), periodically during long
 * runs, and a final time from a lifecycle shutdown hook (phase `telemetry`) on
 * success, failure, SIGTERM and deadline alike.
 *
 * Rules this module keeps:
 * - One group per index (or per pod): `/metrics/job/<job>/namespace/<ns>/index/<i>`,
 *   so parallel pods never overwrite each other. Grouping values that are not
 *   plain URL-safe text use the `@base64` form (prom-client's Pushgateway class
 *   does not, so the URL is built here).
 * - Pushes during the run and the final push of a run that did not succeed are
 *   POSTs: they replace the metrics this run has and leave the others, so the
 *   group keeps `jobkit_job_last_success_time_seconds` of the last successful
 *   run (the "time since last success" alert must not fire because a run
 *   started or failed). The final push of a successful run is a PUT: the
 *   group then holds exactly that run's state. Every push is bounded by a
 *   timeout and by the hook's budget.
 * - The gateway never decides the job's fate: a failure is logged once per
 *   streak of failures, never thrown, never delays exit beyond the budget.
 * - Basic-auth credentials in the URL are sent as a header and never logged.
 * - Under `jobkit exec` (JOBKIT_EXEC_CONTROL set) the pusher announces itself
 *   to the supervisor at start and records its final push, and the
 *   supervisor's own pusher follows the handoff it is given: no periodic
 *   push once a jobkit SDK program pushes to the group, and at the end no
 *   push or a POST of the outcome families only (exec-control.ts, docs/exec.md).
 */
import type { Registry } from 'prom-client';
import { type Env, checkOption } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { redactUrl } from '../util/url-credentials.ts';
import { parseGatewayUrl, TELEMETRY_ENV } from './config.ts';
import { DEFAULT_DELETE_ON_SUCCESS, DEFAULT_PUSH_GROUP_BY, DEFAULT_PUSH_INTERVAL_MS, DEFAULT_PUSH_TIMEOUT_MS } from './constants.ts';
import type { JobIdentity, JobLogger, Lifecycle, ShutdownContext, ShutdownHook } from '../runtime/types.ts';
import { exitCodeForReason, type JobMetrics } from './metrics.ts';
import { announceToSupervisor } from './exec-control.ts';

/** Which label tells the groups of one job apart. */
export type PushGroupBy = 'index' | 'pod';

/** Pushgateway settings given in code; each wins over its environment form. */
export interface PushgatewayOptions {
  /** Gateway URL (`http://[user:password@]host:9091[/prefix]`). Env: JOBKIT_PUSHGATEWAY_URL. Unset: no push at all. */
  readonly url?: string;
  /**
   * Group per completion index or per pod. Env: JOBKIT_PUSHGATEWAY_GROUP_BY.
   *
   * @default {@link DEFAULT_PUSH_GROUP_BY} (`'index'`)
   */
  readonly groupBy?: PushGroupBy;
  /** Extra grouping labels (name -> value), e.g. `{ run: '2024-06-01' }`. */
  readonly grouping?: Readonly<Record<string, string>>;
  /**
   * Milliseconds between periodic pushes; 0 disables them. Env: JOBKIT_PUSHGATEWAY_INTERVAL_SECONDS.
   *
   * @default {@link DEFAULT_PUSH_INTERVAL_MS} (30 000)
   */
  readonly intervalMs?: number;
  /**
   * Most milliseconds one push may take, final push included. Env: JOBKIT_PUSHGATEWAY_TIMEOUT_SECONDS.
   *
   * @default {@link DEFAULT_PUSH_TIMEOUT_MS} (3 000)
   */
  readonly timeoutMs?: number;
  /**
   * Delete the group instead of the final push when the job succeeds (the
   * gateway never forgets a group by itself). Env:
   * JOBKIT_PUSHGATEWAY_DELETE_ON_SUCCESS.
   *
   * @default {@link DEFAULT_DELETE_ON_SUCCESS} (false)
   */
  readonly deleteOnSuccess?: boolean;
}

/** The resolved settings. */
export interface PushgatewayConfig {
  /** The group's URL, credentials removed. */
  readonly groupUrl: URL;
  /** The group's URL for logs: credentials replaced by `***`. */
  readonly displayUrl: string;
  /** `Basic ...` when the URL carried credentials. */
  readonly authorization: string | undefined;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly deleteOnSuccess: boolean;
}

/** Options of {@link createMetricsPusher}. */
export interface MetricsPusherOptions extends PushgatewayOptions {
  /** The metrics to push (their registry) and to mark finished at the end. */
  readonly metrics: JobMetrics;
  /** The identity the grouping key is built from. */
  readonly identity: JobIdentity;
  /** Where push failures are reported (once per streak). */
  readonly log: JobLogger;
  /** Registers the final push (phase `telemetry`). Without it, call {@link MetricsPusher.finalPush} yourself. */
  readonly lifecycle?: Lifecycle;
  /** Environment to read JOBKIT_PUSHGATEWAY_* from. Default `process.env`. */
  readonly env?: Env;
}

/**
 * Pushes a registry to one Pushgateway group.
 *
 * @example
 * ```ts
 * const pusher = createMetricsPusher({ metrics, identity, lifecycle, log });
 * if (pusher.enabled) log.info({ group: pusher.displayUrl }, 'pushing metrics');
 * ```
 */
export interface MetricsPusher {
  /** False when no gateway URL is configured: every method is then a no-op. */
  readonly enabled: boolean;
  /** The group's URL without credentials (empty when disabled). */
  readonly displayUrl: string;
  /** Push now (POST: metrics this run does not have, such as an earlier run's last success, stay). Resolves true when the gateway accepted it; never rejects. */
  push(signal?: AbortSignal): Promise<boolean>;
  /** Delete the group. Resolves true when the gateway accepted it; never rejects. */
  deleteGroup(signal?: AbortSignal): Promise<boolean>;
  /** Stop periodic pushes, then push one last time: PUT on success (or DELETE with deleteOnSuccess), POST otherwise. */
  finalPush(ctx: Pick<ShutdownContext, 'reason' | 'signal' | 'budgetMs'>): Promise<boolean>;
  /** Stop periodic pushes and unregister the shutdown hook. */
  stop(): void;
}

/** PUT replaces the group, POST only the metric families it carries, DELETE removes the group. */
type PushMethod = 'PUT' | 'POST' | 'DELETE';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const PLAIN_VALUE = /^[A-Za-z0-9._~-]+$/;
const RESERVED_LABELS = new Set(['job', 'namespace', 'index', 'pod']);
const MAX_ERROR_BODY = 200;
const HOOK_MARGIN_MS = 50;

/**
 * The families a supervisor's `outcome` push carries (docs/exec.md): how the
 * run ended, nothing the program counts itself (items, checkpoints, shard
 * position), so a POST of them leaves the program's own families in the group.
 */
const OUTCOME_FAMILIES = [
  'jobkit_job_exit_code',
  'jobkit_job_exit_class_info',
  'jobkit_job_end_time_seconds',
  'jobkit_job_duration_seconds',
  'jobkit_job_last_success_time_seconds',
] as const;

/**
 * Internal (not exported from the package): how `jobkit exec` steers its own
 * pusher while a jobkit SDK program it runs pushes to the same group.
 */
export interface PushHandoff {
  /** Asked before each periodic push: true skips it. */
  readonly pausePeriodic: () => boolean;
  /** Asked at the final push: `full` as usual, `skip` none, `outcome` a POST of the outcome families only. */
  readonly finalPlan: () => 'full' | 'skip' | 'outcome';
}

/** Internal: the enabled pusher of a registry, for {@link pushHandoffSlot}. */
export interface PushHandoffSlot {
  /** The group's URL without credentials, as the program's pusher announces it. */
  readonly displayUrl: string;
  handoff: PushHandoff | undefined;
}

const HANDOFF_SLOTS = new WeakMap<Registry, PushHandoffSlot>();

/**
 * Internal: the handoff slot of the enabled pusher of `metrics`, or undefined
 * when no pusher pushes them (no gateway configured).
 *
 * @example
 * ```ts
 * const slot = pushHandoffSlot(job.metrics);
 * if (slot !== undefined) slot.handoff = { pausePeriodic: () => sdkRuns(), finalPlan: () => 'outcome' };
 * ```
 */
export function pushHandoffSlot(metrics: JobMetrics): PushHandoffSlot | undefined {
  return HANDOFF_SLOTS.get(metrics.registry);
}

/**
 * Resolve the Pushgateway settings, or undefined when no URL is configured.
 *
 * @throws ConfigurationError naming the variable or option when a value is unusable.
 * @example
 * ```ts
 * const config = resolvePushgatewayConfig(identity, { JOBKIT_PUSHGATEWAY_URL: 'http://pgw:9091' });
 * config?.displayUrl; // 'http://pgw:9091/metrics/job/etl/namespace/data/index/3'
 * ```
 */
export function resolvePushgatewayConfig(
  identity: JobIdentity,
  env: Env = process.env,
  options: PushgatewayOptions = {},
): PushgatewayConfig | undefined {
  // Each env value is read only when no option gives it: code wins, and a stale variable it overrides is not refused.
  const urlName = options.url === undefined ? 'JOBKIT_PUSHGATEWAY_URL' : 'option url';
  const raw = options.url === undefined ? TELEMETRY_ENV.pushgatewayUrl(env) : options.url.trim() || undefined;
  if (raw === undefined) return undefined;
  const { base, authorization } = parseGatewayUrl(raw, urlName);

  const groupBy = options.groupBy ?? TELEMETRY_ENV.pushGroupBy(env) ?? DEFAULT_PUSH_GROUP_BY;
  const grouping: [string, string][] = [
    // A CronJob's runs share one group, so "time since the last success" is one series per CronJob, not one per Job name.
    ['job', identity.cronJobName ?? identity.jobName],
    ['namespace', identity.namespace],
  ];
  if (groupBy === 'pod') {
    if (identity.podName === undefined) {
      throw new ConfigurationError('JOBKIT_PUSHGATEWAY_GROUP_BY=pod needs the pod name (JOBKIT_POD_NAME), which is not set');
    }
    grouping.push(['pod', identity.podName]);
  } else {
    grouping.push(['index', String(identity.index)]);
  }
  for (const [name, value] of Object.entries(options.grouping ?? {})) {
    if (!LABEL_NAME.test(name) || name.startsWith('__') || RESERVED_LABELS.has(name)) {
      throw new ConfigurationError(
        `option grouping: label name "${name}" must match [a-zA-Z_][a-zA-Z0-9_]*, not start with "__" and not be one of ${[...RESERVED_LABELS].join(', ')}`,
      );
    }
    grouping.push([name, value]);
  }

  const groupUrl = new URL(base.origin);
  groupUrl.pathname = `${base.pathname.replace(/\/+$/, '')}${groupingPath(grouping)}`;
  const intervalMs = msOption('intervalMs', options.intervalMs, false) ?? TELEMETRY_ENV.pushIntervalMs(env);
  const timeoutMs = msOption('timeoutMs', options.timeoutMs, true) ?? TELEMETRY_ENV.pushTimeoutMs(env);
  const deleteOnSuccess = options.deleteOnSuccess ?? TELEMETRY_ENV.pushDeleteOnSuccess(env) ?? DEFAULT_DELETE_ON_SUCCESS;
  return {
    groupUrl,
    displayUrl: authorization === undefined ? groupUrl.href : `${groupUrl.protocol}//***@${groupUrl.host}${groupUrl.pathname}`,
    authorization,
    intervalMs: intervalMs ?? DEFAULT_PUSH_INTERVAL_MS,
    timeoutMs: timeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS,
    deleteOnSuccess,
  };
}

/**
 * The Pushgateway path of a grouping key: `/metrics/job/<job>{/<label>/<value>}`.
 * Values that are empty or not plain URL-safe text (`/`, spaces, unicode...)
 * are written as `<label>@base64/<base64url>`, the form the gateway decodes.
 *
 * @example
 * ```ts
 * groupingPath([['job', 'etl'], ['index', '3']]);        // '/metrics/job/etl/index/3'
 * groupingPath([['job', 'a/b'], ['run', '']]);           // '/metrics/job@base64/YS9i/run@base64/='
 * ```
 */
export function groupingPath(grouping: readonly (readonly [string, string])[]): string {
  const [first] = grouping;
  if (first?.[0] !== 'job') throw new TypeError('the first grouping label must be "job"');
  return `/metrics${grouping.map(([name, value]) => `/${encodeGroupingPair(name, value)}`).join('')}`;
}

function encodeGroupingPair(name: string, value: string): string {
  if (PLAIN_VALUE.test(value)) return `${name}/${value}`;
  // The gateway documents "=" for the empty value; base64url needs no escaping in a path.
  return `${name}@base64/${value === '' ? '=' : Buffer.from(value, 'utf8').toString('base64url')}`;
}

/** The URL with any userinfo replaced by `***`, for logs and errors (one rule for every URL setting). */
export { redactUrl };

/**
 * Start pushing the job's metrics: a first push now, periodic pushes every
 * `intervalMs` (timer unref'd: it never keeps the process alive), and a final
 * push from a `metrics.push` shutdown hook when a lifecycle is given. With no
 * gateway URL configured, returns a disabled pusher and does nothing.
 *
 * @throws ConfigurationError when a JOBKIT_PUSHGATEWAY_* value or option is unusable.
 * @example
 * ```ts
 * const metrics = createJobMetrics({ identity });
 * createMetricsPusher({ metrics, identity, lifecycle, log }); // reads JOBKIT_PUSHGATEWAY_URL
 * metrics.itemProcessed(12);
 * ```
 */
export function createMetricsPusher(options: MetricsPusherOptions): MetricsPusher {
  const config = resolvePushgatewayConfig(options.identity, options.env ?? process.env, options);
  if (config === undefined) return DISABLED_PUSHER;
  const { metrics, log } = options;
  const registry: Registry = metrics.registry;

  let failing = false;
  let stopped = false;
  let inFlight: AbortController | undefined;

  const slot: PushHandoffSlot = { displayUrl: config.displayUrl, handoff: undefined };
  HANDOFF_SLOTS.set(registry, slot);
  // Under jobkit exec: say so before the start push, so the supervisor stops pushing over this program's metrics.
  const control = announceToSupervisor(options.env ?? process.env, config.displayUrl, log);

  const payload = async (families: readonly string[] | undefined): Promise<string> => {
    if (families === undefined) return await registry.metrics();
    const present = families.filter((name) => registry.getSingleMetric(name) !== undefined);
    return `${(await Promise.all(present.map((name) => registry.getSingleMetricAsString(name)))).join('\n')}\n`;
  };

  const request = async (method: PushMethod, signal: AbortSignal | undefined, timeoutMs: number, families?: readonly string[]): Promise<boolean> => {
    if (signal?.aborted === true) return false;
    const controller = new AbortController();
    inFlight = controller;
    try {
      // AbortSignal.timeout() takes whole milliseconds only; budgets arrive fractional.
      const signals = [controller.signal, AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs)))];
      if (signal !== undefined) signals.push(signal);
      const headers: Record<string, string> = {};
      if (config.authorization !== undefined) headers.authorization = config.authorization;
      let body: string | undefined;
      if (method !== 'DELETE') {
        body = await payload(families);
        headers['content-type'] = registry.contentType;
      }
      const res = await fetch(config.groupUrl, { method, headers, body, signal: AbortSignal.any(signals) });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`HTTP ${res.status}: ${text.slice(0, MAX_ERROR_BODY).trim()}`);
      if (failing) log.info({ pushgateway: config.displayUrl }, 'metrics push to the Pushgateway works again');
      failing = false;
      return true;
    } catch (err) {
      // Cancelled by the final push: says nothing about the gateway.
      if (controller.signal.aborted) return false;
      const reason = describeFailure(err, timeoutMs);
      if (failing) {
        log.debug({ pushgateway: config.displayUrl, reason }, 'metrics push failed again');
      } else {
        failing = true;
        log.warn(
          { pushgateway: config.displayUrl, method, reason },
          'metrics push to the Pushgateway failed; the job goes on (further failures are logged at debug level)',
        );
      }
      return false;
    } finally {
      if (inFlight === controller) inFlight = undefined;
    }
  };

  // One request at a time, each collecting the registry when it starts: two
  // overlapping pushes could reach the gateway out of order and leave the group
  // with the older values.
  let queue: Promise<unknown> = Promise.resolve();
  const send = (method: PushMethod, signal: AbortSignal | undefined, timeoutMs: number, families?: readonly string[]): Promise<boolean> => {
    const next = queue.then(() => request(method, signal, timeoutMs, families));
    queue = next;
    return next;
  };

  let periodicBusy = false;
  const periodic = async (): Promise<void> => {
    if (periodicBusy || stopped || slot.handoff?.pausePeriodic() === true) return;
    periodicBusy = true;
    try {
      await send('POST', undefined, config.timeoutMs);
    } finally {
      periodicBusy = false;
    }
  };
  const timer = config.intervalMs > 0 ? setInterval(() => void periodic(), config.intervalMs) : undefined;
  timer?.unref();

  let unregister: (() => void) | undefined;
  const stop = (): void => {
    stopped = true;
    if (timer !== undefined) clearInterval(timer);
    unregister?.();
    unregister = undefined;
  };

  const pusher: MetricsPusher = {
    enabled: true,
    displayUrl: config.displayUrl,
    push: (signal) => send('POST', signal, config.timeoutMs),
    deleteGroup: (signal) => send('DELETE', signal, config.timeoutMs),
    async finalPush(ctx) {
      stop();
      // A periodic push still in flight could land after this one and leave the
      // group with stale values: cancel it first.
      inFlight?.abort();
      if (ctx.reason === 'signal' || ctx.reason === 'notice' || ctx.reason === 'deadline') metrics.interrupted(ctx.reason);
      if (!metrics.isFinished) metrics.finished({ exitCode: exitCodeForReason(ctx.reason) });
      // Give up just before the lifecycle would abandon the hook, so it ends cleanly.
      const timeoutMs = Math.min(config.timeoutMs, ctx.budgetMs - HOOK_MARGIN_MS);
      const succeeded = ctx.reason === 'completed';
      // Under jobkit exec with a jobkit SDK program pushing to this group (docs/exec.md).
      const plan = slot.handoff?.finalPlan() ?? 'full';
      let pushed: boolean;
      if (plan === 'skip') {
        log.debug({ pushgateway: config.displayUrl }, 'final push skipped: the jobkit SDK program pushed its own final state');
        pushed = true;
      } else if (plan === 'outcome') {
        // A merge: the program's families stay; an interruption is part of how it ended.
        const interrupted = ctx.reason === 'signal' || ctx.reason === 'notice' || ctx.reason === 'deadline';
        pushed = await send('POST', ctx.signal, timeoutMs, interrupted ? [...OUTCOME_FAMILIES, 'jobkit_job_interruptions_total'] : OUTCOME_FAMILIES);
      } else {
        const method: PushMethod = succeeded ? (config.deleteOnSuccess ? 'DELETE' : 'PUT') : 'POST';
        pushed = await send(method, ctx.signal, timeoutMs);
      }
      control?.final(pushed);
      return pushed;
    },
    stop,
  };

  if (options.lifecycle !== undefined) {
    const hook: ShutdownHook = {
      name: 'metrics.push',
      phase: 'telemetry',
      budgetMs: config.timeoutMs + HOOK_MARGIN_MS,
      run: async (ctx) => {
        await pusher.finalPush(ctx);
      },
    };
    unregister = options.lifecycle.onShutdown(hook);
  }
  void periodic();
  return pusher;
}

const DISABLED_PUSHER: MetricsPusher = {
  enabled: false,
  displayUrl: '',
  push: () => Promise.resolve(false),
  deleteGroup: () => Promise.resolve(false),
  finalPush: () => Promise.resolve(false),
  stop: () => {},
};

function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return err.name === 'TimeoutError' ? `no answer within ${Math.round(timeoutMs)} ms` : 'aborted: the shutdown budget is spent';
  }
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

/** A duration option in ms, by the one option checker (`timeoutMs` must be > 0; `intervalMs` may be 0: no periodic push). */
function msOption(name: string, value: number | undefined, positive: boolean): number | undefined {
  return checkOption(name, value, { min: 0, minExclusive: positive, plain: true });
}
