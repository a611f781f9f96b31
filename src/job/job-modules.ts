/**
 * The modules runJob puts on `job`: store, checkpoint, idempotency, sharding,
 * metrics and tracing. Each is built on first use from the job's identity, log
 * and lifecycle, so a job that never touches a module pays nothing for it
 * (no store is opened, no OpenTelemetry SDK is loaded).
 *
 * The attempt lineage (job.attempts, job.item) starts eagerly when a store is
 * configured: the start record must be written before main runs.
 * Metrics and tracing are the other exceptions that start eagerly when configured:
 * the Pushgateway's final push and the trace flush must be registered as
 * shutdown hooks before main runs, whatever main does.
 */
import { exclusiveOptionsFromEnv } from '../exclusive/config.ts';
import { checkExclusiveOptions, type ExclusiveContext, exclusiveKey, type ExclusiveOptions, type ExclusiveResult, runExclusive } from '../exclusive/guard.ts';
import { type Checkpointer, type CheckpointEnvOptions, type CheckpointerOptions, checkpointOptionsFromEnv, createCheckpointer } from '../checkpoint/index.ts';
import { type CheckpointSignal, checkpointSignalFromEnv } from '../checkpoint/config.ts';
import { CHECKPOINT_SIGNALS } from '../checkpoint/constants.ts';
import { listenForCheckpointSignal } from './checkpoint-signal.ts';
import { type IdempotencyEnvOptions, idempotencyOptionsFromEnv } from '../idempotency/config.ts';
import { type IdempotencyLedger, createIdempotency } from '../idempotency/index.ts';
import type { IdempotencyEvent, IdempotencyOptions, IdempotentFunction, RunOptions } from '../idempotency/types.ts';
import { type ShardHelpers, createShardHelpers } from '../sharding/index.ts';
import { type OpenStoreOptions, openStore } from '../store/open.ts';
import { storeOptionsFromEnv } from '../store/config.ts';
import { type StoreLocation, parseStoreUrl, storeKeyPrefix, validateStoreSettings } from '../store/schemes.ts';
import type { ObjectStore } from '../store/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { type IdempotencyResult, type JobMetrics, createJobMetrics } from '../telemetry/metrics.ts';
import { type PushgatewayOptions, createMetricsPusher } from '../telemetry/pushgateway.ts';
import { withSpan } from '../telemetry/span.ts';
import { type JobTracing, type TracingOptions, resolveTracingConfig, startTracing } from '../telemetry/tracing.ts';
import { resolveSettings } from '../idempotency/settings.ts';
import { type Env, checkChoiceOption, readString, unknownJobkitVariables } from '../runtime/config.ts';
import { integrityKindOf } from './integrity-kind.ts';
import { type NamedValue, checkKeyLengths } from './key-lengths.ts';
import { retry, type RetryOptions } from '../runtime/retry.ts';
import type { SecretsVolume, SecretsVolumeOptions } from '../runtime/secrets-volume.ts';
import type { SecretValues } from '../telemetry/secret-values.ts';
import { createJobSecrets } from './job-secrets.ts';
import { withAuthRefreshLog } from './auth-refresh-log.ts';
import type { JobIdentity, Lifecycle } from '../runtime/types.ts';
import { type AttemptsEnvOptions, type AttemptsSettings, attemptsOptionsFromEnv, resolveAttemptsSettings } from './attempts/config.ts';
import { startAttempts } from './attempts/start.ts';
import { createLimiters } from './limiters.ts';
import { limiterOptionsFromEnv, type LimiterEnvOptions } from '../runtime/limiter/config.ts';
import type { LimiterOptions } from '../runtime/limiter/options.ts';
import type { RateLimiter } from '../runtime/limiter/limiter.ts';
import { createItemGuard } from './attempts/item-guard.ts';
import type { AttemptsOptions, ItemOptions, ItemRun, JobAttempts } from './attempts/types.ts';

/** The ledger events that `jobkit_idempotency_results_total` counts, by result. */
const RESULT_OF_IDEMPOTENCY_EVENT: Partial<Record<IdempotencyEvent['type'], IdempotencyResult>> = {
  hit: 'hit',
  miss: 'miss',
  conflict: 'conflict',
  mismatch: 'conflict',
  takeover: 'takeover',
  'lease-wait': 'wait',
};

/** Module options of {@link runJob}; each wins over its env form. */
export interface JobModuleOptions<S = unknown> {
  /**
   * The object store of checkpoints, idempotency records, shard plans and
   * leases: a URL (`s3://bucket/prefix`, `file:///path`, `memory://name`) or a
   * store. Env: JOBKIT_STORE. Default: the directory `./.jobkit/store`.
   */
  readonly store?: string | ObjectStore;
  /** Options of the store opened from a URL (S3 client settings, fs options). */
  readonly storeOptions?: OpenStoreOptions;
  /** Options of `job.checkpoint` (retention, save policy, part size, scope...). */
  readonly checkpoint?: Omit<CheckpointerOptions<S>, 'store' | 'identity' | 'lifecycle' | 'log' | 'metrics'>;
  /**
   * The signal that asks for a checkpoint now (`job.checkpoint.requestSave`),
   * or `off`. Env: JOBKIT_CHECKPOINT_SIGNAL. Listening to SIGUSR1 keeps Node
   * from starting its inspector on it.
   * @default 'SIGUSR1'
   */
  readonly checkpointSignal?: CheckpointSignal;
  /** Options of `job.idempotent` / `job.idempotency` (lease, TTL, scope, cache...). */
  readonly idempotency?: Omit<IdempotencyOptions, 'store' | 'identity' | 'lifecycle' | 'log' | 'onEvent' | 'signal'>;
  /** Pushgateway settings. Env: JOBKIT_PUSHGATEWAY_URL and JOBKIT_PUSHGATEWAY_*. */
  readonly pushgateway?: PushgatewayOptions;
  /** OpenTelemetry settings. Env: the standard OTEL_* variables. */
  readonly tracing?: TracingOptions;
  /**
   * Run `main` under the single-run guard of this name (see `job.exclusive`):
   * a second run of the same CronJob waits for this one, then fails (exit 69)
   * or, with `onBusy: 'skip'`, exits 0 without running `main`. The options are
   * also the defaults of `job.exclusive`. Env: JOBKIT_EXCLUSIVE_WAIT_MS,
   * JOBKIT_EXCLUSIVE_LEASE_MS.
   */
  readonly exclusive?: string | ExclusiveMainOptions;
  /**
   * The attempt lineage (`job.attempts`, `job.item`, docs/attempts.md): on
   * when the job has a store configured (option `store` or JOBKIT_STORE) or
   * this option is an object; `false` records nothing. Env:
   * JOBKIT_ATTEMPTS_KEEP, JOBKIT_QUARANTINE_AFTER.
   */
  readonly attempts?: false | AttemptsOptions;
  /** Where `job.secrets` reads mounted secrets. Env: JOBKIT_SECRETS_DIR. */
  readonly secrets?: Omit<SecretsVolumeOptions, 'onValue'>;
}

/** runJob's `exclusive` option in full: the guard's name and its options. */
export interface ExclusiveMainOptions extends Omit<ExclusiveOptions, 'signal'> {
  readonly name: string;
}

/**
 * The name and the options of runJob's `exclusive` option.
 *
 * @example
 * ```ts
 * mainGuard('migrate'); // { name: 'migrate', options: {} }
 * ```
 */
export function mainGuard(option: string | ExclusiveMainOptions | undefined): { name: string; options: Omit<ExclusiveOptions, 'signal'> } | undefined {
  if (option === undefined) return undefined;
  if (typeof option === 'string') return { name: option, options: {} };
  const { name, ...options } = option;
  return { name, options };
}

/**
 * What the modules add to `job`.
 *
 * @example
 * ```ts
 * await runJob<{ next: number }>(async (job) => {
 *   const last = await job.checkpoint.load();
 *   for (const i of job.shard.range(1_000, { resume: last?.state.cursor })) {
 *     await job.idempotent(`row-${i}`, () => writeRow(i));
 *     job.metrics.itemProcessed();
 *   }
 * });
 * ```
 */
export interface JobModules<S = unknown> {
  /** The job's object store (opened on first use). */
  readonly store: ObjectStore;
  /** This index's checkpoint line: load, save, autosave, final save on SIGTERM. */
  readonly checkpoint: Checkpointer<S>;
  /** The idempotency ledger (batch APIs, check, claim). */
  readonly idempotency: IdempotencyLedger;
  /** Run `fn` once per key across retries, restarts and duplicate pods; later calls replay its result. */
  idempotent<T>(key: string, fn: IdempotentFunction<T>, options?: RunOptions): Promise<T>;
  /**
   * Run `fn` only while this pod holds the single-run guard `name` (a fenced
   * lease in the store, per CronJob by default): a second run of the same
   * CronJob, scheduled or manual, waits, then fails (exit 69) or skips.
   *
   * @example
   * ```ts
   * await job.exclusive('migrate-users', async ({ signal, epoch }) => migrate({ signal, fence: epoch }));
   * ```
   */
  exclusive<T>(name: string, fn: (ctx: ExclusiveContext) => Promise<T> | T, options?: ExclusiveOptions): Promise<ExclusiveResult<T>>;
  /**
   * This attempt and the previous ones of this index, read at start (empty
   * when attempts are not recorded): how each ended, what a crashed one was on.
   *
   * @example
   * ```ts
   * const batchSize = Math.max(1, 1_000 >> job.attempts.consecutiveCrashes); // halve after each crash
   * ```
   */
  readonly attempts: JobAttempts;
  /**
   * Run `fn` for one item, marked in progress in this attempt's record
   * (durably, before fn runs) and counted in `jobkit_items_total` (do not
   * also call `metrics.itemProcessed`). An item that earlier attempts died on
   * `quarantineAfter` times (default 2) is skipped and recorded as a dead
   * letter instead of crashing the index again; with `{ quarantine:
   * 'permanent' }` so is an item that throws a permanent error.
   *
   * @example
   * ```ts
   * for (const i of job.shard.range(10_000)) {
   *   const r = await job.item(`row-${i}`, () => handle(i));
   *   if (r.quarantined) job.log.warn({ i }, 'skipped a poison row');
   * }
   * ```
   */
  item<T>(key: string, fn: (signal: AbortSignal) => Promise<T> | T, options?: ItemOptions): Promise<ItemRun<T>>;
  /** This index's share of ranges, lists, streams, store prefixes; the work queue. */
  readonly shard: ShardHelpers;
  /** The job's metrics registry and batch metrics (pushed when a Pushgateway is configured). */
  readonly metrics: JobMetrics;
  /** Run `fn` in a child span of the job's span (a no-op wrapper when tracing is off). */
  readonly trace: typeof withSpan;
  /**
   * {@link retry} bound to the job: stops on SIGTERM or the deadline, logs
   * each failed attempt at `warn`, and counts it in
   * `jobkit_retries_total{operation}` (`operation` is a metric label: keep it
   * low-cardinality, `s3.get` rather than a key).
   *
   * @example
   * ```ts
   * const row = await job.retry('db.fetch', () => db.fetch(id), { retries: 3 });
   * ```
   */
  retry<T>(operation: string, fn: (attempt: number) => Promise<T> | T, options?: Omit<RetryOptions, 'signal'>): Promise<T>;
  /**
   * The rate limiter `name` of this run (docs/limits.md): a token bucket of
   * `ratePerSecond` for this pod, or with `scope: 'job'` this pod's share of
   * a Job-wide budget; slowed by 429/503 and paused by `Retry-After`; waits
   * stop on SIGTERM. The same name returns the same limiter; `name` is a
   * metric label (`api`, not a URL).
   *
   * @example
   * ```ts
   * const api = job.limiter('api', { ratePerSecond: 20, scope: 'job' });
   * const res = await api.run((signal) => fetch(url, { signal }));
   * ```
   */
  limiter(name: string, options: LimiterOptions): RateLimiter;
  /**
   * The mounted secret volume (JOBKIT_SECRETS_DIR, default
   * `/var/run/secrets/jobkit`): always the current value as the kubelet
   * rotates it; every value read is redacted from the job's logs.
   *
   * @example
   * ```ts
   * const token = await job.secrets.get('api-token');
   * ```
   */
  readonly secrets: SecretsVolume;
}

/** What runJob needs to drive the modules. */
export interface JobModulesController<S> {
  readonly modules: JobModules<S>;
  /** Run main inside the job's root span (when tracing is on). */
  wrapMain<T>(main: () => Promise<T>): Promise<T>;
  /** Record the exit code before the shutdown hooks push metrics. */
  finished(exitCode: number): void;
}

/** Whether tracing is configured: decides the logger's trace mixin before anything starts. */
export function tracingEnabled(env: Env, options: TracingOptions | undefined): boolean {
  return resolveTracingConfig(env, options).enabled;
}

/** Dependencies of {@link createJobModules}. */
export interface JobModulesDeps<S> {
  readonly identity: JobIdentity;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  readonly env: Env;
  readonly options: JobModuleOptions<S>;
  /** The logger's value redaction: what `job.secrets` reads is added to it. */
  readonly secretValues?: SecretValues;
}

/**
 * Build the modules for one job run. Starts the metrics pusher and tracing when
 * configured; everything else is lazy.
 *
 * @example
 * ```ts
 * const ctl = await createJobModules({ identity, log, lifecycle, env: process.env, options: {} });
 * await ctl.wrapMain(() => main({ ...base, ...ctl.modules }));
 * ```
 */
export async function createJobModules<S>(deps: JobModulesDeps<S>): Promise<JobModulesController<S>> {
  const { identity, log, lifecycle, env, options } = deps;
  const settings = validateModuleSettings(deps);
  const once = <T>(make: () => T): (() => T) => {
    let value: { v: T } | undefined;
    return () => (value ??= { v: make() }).v;
  };

  const metrics = createJobMetrics({ identity });
  createMetricsPusher({ ...options.pushgateway, metrics, identity, log, lifecycle, env });
  const tracing: JobTracing | undefined = tracingEnabled(env, options.tracing)
    ? await startTracing({ ...options.tracing, identity, lifecycle, log, env })
    : undefined;

  const store = once(() => {
    if (typeof options.store === 'object') return options.store;
    const opened = openStore(options.store, { ...options.storeOptions, env });
    if (options.store === undefined && (env.JOBKIT_STORE ?? '') === '' && identity.platform !== 'local') {
      // The embedded default is a directory on this machine: on a cluster, a
      // retried pod on another node finds no checkpoint and no idempotency record.
      log.warn(
        { store: opened.url, platform: identity.platform },
        'JOBKIT_STORE is not set: checkpoints and idempotency records go to a local directory that pods on other nodes cannot see; ' +
          'fine under `jobkit run`, on a cluster set JOBKIT_STORE=s3://bucket/prefix',
      );
    }
    // Last phase: the checkpoint and release hooks still use the store before it.
    lifecycle.onShutdown({ name: 'store.close', phase: 'logs', budgetMs: 1_000, run: () => opened.close() });
    return opened;
  });
  let checkpointBuilt = false;
  const checkpoint = once(() => {
    checkpointBuilt = true;
    return createCheckpointer<S>({ ...settings.checkpoint, ...options.checkpoint, store: store(), identity, lifecycle, log, metrics });
  });
  listenForCheckpointSignal({
    signal: settings.checkpointSignal,
    log,
    lifecycle,
    // A snapshot given in code is tracked before the first use of job.checkpoint.
    request: (reason) => (checkpointBuilt || options.checkpoint?.snapshot !== undefined ? checkpoint().requestSave(reason) : undefined),
  });
  const idempotency = once(() =>
    createIdempotency({
      ...settings.idempotency,
      ...options.idempotency,
      store: store(),
      identity,
      lifecycle,
      log,
      // Functions see SIGTERM, and an aborted run releases its key at once.
      signal: lifecycle.signal,
      onEvent: (event) => {
        const result = RESULT_OF_IDEMPOTENCY_EVENT[event.type];
        if (result !== undefined) metrics.idempotency(result);
      },
    }),
  );
  const recordAttempts = options.attempts !== false && (options.store !== undefined || readString(env, 'JOBKIT_STORE') !== undefined || typeof options.attempts === 'object');
  const lineage = await startAttempts({
    store: recordAttempts ? store : undefined,
    identity,
    log,
    lifecycle,
    metrics,
    settings: settings.attempts,
  });
  const shard = once(() =>
    createShardHelpers({
      identity,
      lifecycle,
      log,
      onShare: (share) => metrics.trackShare(share),
      onQueueProgress: (progress) => metrics.trackQueue(progress),
      // job.shard.range(n, { quarantine: true }): the iterator's items go through job.item's runner.
      itemGuard: createItemGuard(lineage.items),
      // A getter: ranges and lists need no store, so none is opened for them.
      get store() {
        return store();
      },
    }),
  );

  const limiter = createLimiters({ identity, log, signal: lifecycle.signal, metrics, parallelism: settings.limiter.parallelism });
  const secrets = once(() => createJobSecrets(env, options.secrets, deps.secretValues));

  const modules: JobModules<S> = {
    limiter,
    get store() {
      return store();
    },
    get checkpoint() {
      return checkpoint();
    },
    get idempotency() {
      return idempotency();
    },
    idempotent: (key, fn, runOptions) => idempotency().run(key, fn, runOptions),
    exclusive: (name, fn, callOptions = {}) =>
      runExclusive({ store: store(), identity, log, lifecycle }, name, fn, {
        ...settings.exclusive,
        ...mainGuard(options.exclusive)?.options,
        ...callOptions,
        // Stops the wait and aborts fn's signal on SIGTERM, like every module.
        signal: callOptions.signal === undefined ? lifecycle.signal : AbortSignal.any([callOptions.signal, lifecycle.signal]),
      }),
    retry: (operation, fn, retryOptions = {}) =>
      retry(fn, {
        ...retryOptions,
        ...withAuthRefreshLog(retryOptions.onAuthError, operation, log),
        signal: lifecycle.signal,
        onRetry: (info) => {
          metrics.retry(operation);
          log.warn({ operation, err: info.error, attempt: info.attempt, retriesLeft: info.retriesLeft, delayMs: Math.round(info.delayMs) }, `${operation} failed, retrying`);
          retryOptions.onRetry?.(info);
        },
      }),
    get shard() {
      return shard();
    },
    get secrets() {
      return secrets();
    },
    attempts: lineage.attempts,
    item: (key, fn, itemOptions) => lineage.items.run(key, fn, itemOptions),
    metrics,
    trace: tracing?.trace ?? withSpan,
  };
  return {
    modules,
    wrapMain: async (main) => {
      try {
        return await (tracing === undefined ? main() : tracing.inJobSpan(main));
      } catch (err) {
        // A corrupt plan or record ends the run: counted, so the final push carries it.
        const kind = integrityKindOf(err);
        if (kind !== undefined) metrics.integrityFailure(kind);
        throw err;
      }
    },
    finished: (exitCode) => {
      lineage.finished(exitCode);
      metrics.finished({ exitCode });
    },
  };
}

/** The env forms of the lazy modules' options, read and checked at start. */
export interface ModuleSettings {
  readonly checkpoint: CheckpointEnvOptions;
  /** The checkpoint-now signal, option over env. */
  readonly checkpointSignal: CheckpointSignal;
  readonly idempotency: IdempotencyEnvOptions;
  readonly exclusive: Pick<ExclusiveOptions, 'waitMs' | 'leaseMs'>;
  readonly attempts: AttemptsSettings;
  readonly limiter: LimiterEnvOptions;
  /** Where the store URL in effect points; undefined for a store given as an object, or the default directory. */
  readonly store: StoreLocation | undefined;
}

/**
 * Read and check, before main, every setting of the modules that are built on
 * first use (store, checkpoint, idempotency), whether or not main uses them:
 * configuration.md promises that an unusable value stops the job before main
 * (exit 78), not at the first save an hour in. Nothing is opened: the store
 * URL is parsed, not connected to. Also refuses job names and scopes that
 * make store keys longer than S3 allows, and warns about `JOBKIT_*`
 * variables that no module reads (typos).
 *
 * @throws ConfigurationError naming the variable (or option) and its value.
 * @example
 * ```ts
 * validateModuleSettings({ identity, log, env: { JOBKIT_CHECKPOINT_KEEP: '-1' }, options: {} });
 * // throws: JOBKIT_CHECKPOINT_KEEP must be an integer >= 1, got "-1"
 * ```
 */
export function validateModuleSettings<S>(deps: Pick<JobModulesDeps<S>, 'identity' | 'log' | 'env' | 'options'>): ModuleSettings {
  const { identity, log, env, options } = deps;
  // One line for all of them: an environment with many foreign JOBKIT_* names
  // (a test harness's) should not drown the job's own lines.
  const unknown = unknownJobkitVariables(env);
  if (unknown.length > 0) {
    const described = unknown.map(({ name, didYouMean }) => (didYouMean === undefined ? name : `${name} (did you mean ${didYouMean}?)`));
    log.warn(
      { variables: unknown.map((u) => u.name), didYouMean: Object.fromEntries(unknown.flatMap((u) => (u.didYouMean === undefined ? [] : [[u.name, u.didYouMean]]))) },
      `not jobkit settings, ignored: ${described.join(', ')}`,
    );
  }
  const { checkpoint, idempotency, exclusive, attempts: attemptsEnv, checkpointSignal: envSignal, limiter } = checkModuleEnv(env);
  const attempts = resolveAttemptsSettings(attemptsEnv, options.attempts === false ? undefined : options.attempts);
  const checkpointSignal = checkChoiceOption('checkpointSignal', options.checkpointSignal, CHECKPOINT_SIGNALS) ?? envSignal;
  // Cross-setting rules with the code options too (a lease shorter than its renewal interval...).
  resolveSettings(idempotency, options.idempotency);
  const guard = mainGuard(options.exclusive);
  checkExclusiveOptions({ ...exclusive, ...guard?.options }, identity);
  if (guard !== undefined) exclusiveKey(guard.name, identity, checkExclusiveOptions({ ...exclusive, ...guard.options }, identity).scope);
  const envStore = readString(env, 'JOBKIT_STORE');
  let store: StoreLocation | undefined;
  if (typeof options.store === 'string') store = parseStoreUrl(options.store, { source: 'option store' });
  else if (options.store === undefined && envStore !== undefined) store = parseStoreUrl(envStore);
  if (store !== undefined) validateStoreSettings(store, { env, options: options.storeOptions });

  const named = (option: string | undefined, optionName: string, variable: string): NamedValue | undefined => {
    if (option !== undefined) return { source: `option ${optionName}`, value: option };
    const value = readString(env, variable);
    return value === undefined ? undefined : { source: variable, value };
  };
  checkKeyLengths({
    identity,
    jobNameSource: readString(env, 'JOBKIT_JOB_NAME') === undefined ? 'the job name' : 'JOBKIT_JOB_NAME',
    namespaceSource: readString(env, 'JOBKIT_NAMESPACE') === undefined ? 'the namespace' : 'JOBKIT_NAMESPACE',
    ...(store === undefined ? {} : { storePrefix: storeKeyPrefix(store) }),
    checkpointScope: named(options.checkpoint?.scope, 'checkpoint.scope', 'JOBKIT_CHECKPOINT_SCOPE'),
    ...(options.checkpoint?.perIndex === undefined ? {} : { checkpointPerIndex: options.checkpoint.perIndex }),
    idempotencyScope: named(options.idempotency?.scope, 'idempotency.scope', 'JOBKIT_IDEMPOTENCY_SCOPE'),
  });
  return { checkpoint, checkpointSignal, idempotency, exclusive, attempts, limiter, store };
}

/**
 * The part of {@link validateModuleSettings} that needs only the environment:
 * the readers (`<module>OptionsFromEnv`) of the lazy modules: checkpoint,
 * idempotency, store with S3. Also used by `jobkit manifest` on the literal
 * env it writes and by `jobkit lint` on a manifest's literals, so that they
 * refuse the values runJob would refuse. Telemetry is not here: runJob's
 * logger, pusher and tracing read their settings before main themselves, and
 * an env value a code option overrides must not stop the job (`jobkit lint`
 * and `jobkit manifest`, with no code options, check telemetryOptionsFromEnv).
 *
 * @throws ConfigurationError naming the variable and its value.
 * @example
 * ```ts
 * checkModuleEnv({ JOBKIT_IDEMPOTENCY_TTL_SECONDS: 'abc' }); // throws: JOBKIT_IDEMPOTENCY_TTL_SECONDS must be a number > 0, got "abc"
 * ```
 */
export function checkModuleEnv(env: Env): Pick<ModuleSettings, 'checkpoint' | 'checkpointSignal' | 'idempotency' | 'exclusive' | 'limiter'> & { readonly attempts: AttemptsEnvOptions } {
  const checkpoint = checkpointOptionsFromEnv(env);
  const checkpointSignal = checkpointSignalFromEnv(env);
  const idempotency = idempotencyOptionsFromEnv(env);
  const exclusive = exclusiveOptionsFromEnv(env);
  const attempts = attemptsOptionsFromEnv(env);
  const limiter = limiterOptionsFromEnv(env);
  resolveAttemptsSettings(attempts);
  resolveSettings(idempotency);
  // Every JOBKIT_S3_* value is checked even for another store: a bad value is
  // a mistake in the manifest either way, and the store may change later.
  storeOptionsFromEnv(env);
  return { checkpoint, checkpointSignal, idempotency, exclusive, attempts, limiter };
}
