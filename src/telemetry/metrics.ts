/**
 * The job's metrics: a prom-client registry owned by jobkit (never the global
 * default registry, so a library that registers on the default cannot leak
 * into, or collide with, the job's push) holding the standard batch metrics,
 * plus small typed recording methods so the checkpoint, idempotency and retry
 * modules never need to know prom-client.
 *
 * Nobody scrapes a batch pod: the registry is pushed to a Pushgateway by
 * pushgateway.ts. Names follow the Prometheus conventions (base units, `_total`
 * for counters, `_seconds`, `_bytes`); the per-job labels (job, namespace,
 * index or pod) come from the Pushgateway grouping key, not from these series.
 */
import { describeRun, rfc3339Seconds } from '../runtime/run.ts';
import {
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';
import { exitClassOf, exitCodeFor } from '../runtime/exit-codes.ts';
import { createFastHistogram, createTally } from './hot-path-metrics.ts';
import { registerResourceMetrics } from './resource-metrics.ts';
import type { NoticeKind } from '../runtime/interruption/types.ts';
import type { JobIdentity, ShutdownReason } from '../runtime/types.ts';

/** How an item ended, as counted by `jobkit_items_total{outcome}`. */
export type ItemOutcome = 'processed' | 'failed' | 'skipped' | 'quarantined';

/** What {@link JobMetrics.progress} reads: the item counts by outcome and this index's share, when one was handed out. */
export interface MetricsProgress {
  readonly items: Readonly<Record<ItemOutcome, number>>;
  readonly share: { readonly size: number; readonly position: number } | undefined;
}

/** Every {@link IdempotencyResult}, each exported at 0 from the start. */
const IDEMPOTENCY_RESULTS = ['hit', 'miss', 'conflict', 'takeover', 'wait'] as const;

/**
 * What an idempotency check found, as counted by
 * `jobkit_idempotency_results_total{result}`: `hit` (replayed), `miss` (the
 * function ran), `conflict` (in progress elsewhere, or a payload mismatch),
 * `takeover` (a miss that took an expired lease from a crashed owner; also
 * counted as a miss).
 */
export type IdempotencyResult = (typeof IDEMPOTENCY_RESULTS)[number];

/** Options of {@link createJobMetrics}. */
export interface JobMetricsOptions {
  /** The identity described by `jobkit_job_info`. */
  readonly identity: JobIdentity;
  /** Registry to use; a new one by default (never prom-client's global registry). */
  readonly registry?: Registry;
  /** Buckets (seconds) of `jobkit_item_duration_seconds`. */
  readonly itemBuckets?: readonly number[];
  /** Wall clock in milliseconds since the epoch (tests). Default `Date.now`. */
  readonly now?: () => number;
  /** The cgroup v2 directory the container limits are read from (tests). Default `/sys/fs/cgroup`. */
  readonly cgroupDir?: string;
}

/**
 * The job's metrics. The per-item methods cost a number increment and a short
 * bucket scan (prom-client sees the totals only when a push reads the registry).
 *
 * @example
 * ```ts
 * const metrics = createJobMetrics({ identity });
 * for (const row of rows) {
 *   const started = performance.now();
 *   await handle(row);
 *   metrics.itemProcessed(performance.now() - started);
 * }
 * ```
 */
export interface JobMetrics {
  /** The registry every jobkit metric lives on; register user metrics here too. */
  readonly registry: Registry;
  /** Count an item that succeeded, with how long it took in milliseconds (optional). */
  itemProcessed(durationMs?: number): void;
  /** Count an item that failed, with how long it took in milliseconds (optional). */
  itemFailed(durationMs?: number): void;
  /** Count an item that was skipped (already done, filtered out). */
  itemSkipped(): void;
  /** Count `n` items of one outcome at once (batch processing). */
  items(outcome: ItemOutcome, n: number): void;
  /**
   * The counts so far (what `jobkit_items_total` and `jobkit_shard_position`
   * would push now), for records that say how far a run got.
   *
   * @example
   * ```ts
   * const { items, share } = job.metrics.progress();
   * console.log(items.processed, share?.position);
   * ```
   */
  progress(): MetricsProgress;
  /** Count one in-process retry of an operation (`operation` must be low-cardinality: `s3.put`, not a key). */
  retry(operation: string): void;
  /** Record a checkpoint save: bytes written and how long it took in milliseconds. */
  checkpointSaved(bytes: number, durationMs: number): void;
  /** Record a checkpoint load: bytes read and how long it took in milliseconds. */
  checkpointLoaded(bytes: number, durationMs: number): void;
  /** Count a stored checkpoint that failed verification on load (`integrityFailure('checkpoint')`). */
  checkpointCorrupt(): void;
  /** Count a stored record of the job found unreadable: corrupt, truncated, failing its checksum. */
  integrityFailure(kind: IntegrityKind): void;
  /**
   * Report a work queue's progress from now on: `jobkit_queue_chunks{queue}`
   * and `jobkit_queue_chunks_left{queue}`. `job.shard.workQueue` calls it.
   */
  trackQueue(progress: { readonly name: string; readonly chunks: number; readonly left: number }): void;
  /**
   * Report this index's share from now on (the latest one given wins): its
   * size and position are read at each push as `jobkit_shard_items` and
   * `jobkit_shard_position`. `job.shard.range`, `items` and `objects` call it.
   */
  trackShare(share: { readonly size: number; readonly position: number }): void;
  /** Count the result of one idempotency check. */
  idempotency(result: IdempotencyResult): void;
  /**
   * Count an interruption of this run: a termination signal (a preemption, an
   * eviction, a node drain) or the run's own deadline. The pusher calls it
   * from the final push when the shutdown reason is one of them.
   */
  interrupted(reason: InterruptionReason): void;
  /**
   * Count a notice of the cloud that did not stop the run (AWS's rebalance
   * recommendation, unless told to stop on it), in
   * `jobkit_interruption_advisories_total{kind}`.
   */
  interruptionAdvisory(kind: NoticeKind): void;
  /**
   * Record how the run ended: end time, exit code (when known), and on exit
   * code 0 the last success time. The first call wins; the runtime calls it
   * with the exit code before the final push, and the pusher calls it with
   * what the shutdown reason implies when the runtime did not.
   */
  finished(outcome: { readonly exitCode: number | undefined }): void;
  /** Whether {@link JobMetrics.finished} was called. */
  readonly isFinished: boolean;
  /**
   * The recorder of one rate limiter (`job.limiter` calls it once per name):
   * `jobkit_limiter_wait_seconds_total{limiter}`,
   * `jobkit_limiter_throttled_total{limiter}` (both exported at 0 from this
   * call on) and `jobkit_limiter_rate_per_second{limiter}`.
   *
   * @example
   * ```ts
   * const api = job.metrics.limiter('api');
   * api.rate(5);
   * api.waited(0.2);
   * api.throttled();
   * ```
   */
  limiter(name: string): LimiterMetrics;
  /**
   * A counter on the job's registry.
   *
   * @example
   * ```ts
   * const rows = job.metrics.counter({ name: 'etl_rows_written_total', help: 'Rows written.', labelNames: ['table'] });
   * rows.inc({ table: 'orders' }, 500);
   * ```
   */
  counter<T extends string>(config: Omit<CounterConfiguration<T>, 'registers'>): Counter<T>;
  /** A gauge on the job's registry (see {@link JobMetrics.counter}). */
  gauge<T extends string>(config: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T>;
  /** A histogram on the job's registry (see {@link JobMetrics.counter}). */
  histogram<T extends string>(config: Omit<HistogramConfiguration<T>, 'registers'>): Histogram<T>;
}

/**
 * What a rate limiter records, from {@link JobMetrics.limiter}.
 *
 * @example
 * ```ts
 * const recorder: LimiterMetrics = job.metrics.limiter('api');
 * recorder.waited(0.25);
 * ```
 */
export interface LimiterMetrics {
  /** Add time spent waiting for tokens, in seconds. */
  waited(seconds: number): void;
  /** Count a throttled answer (429, 503) reported to the limiter. */
  throttled(): void;
  /** Set the rate in effect, tokens per second. */
  rate(ratePerSecond: number): void;
}

/**
 * What kind of stored data failed verification: a checkpoint (manifest,
 * state or part), a frozen shard plan (or a page of it), a work-queue record,
 * an idempotency record, a single-run guard record.
 */
export type IntegrityKind = 'checkpoint' | 'shard_plan' | 'work_queue' | 'idempotency_record' | 'exclusive_record';

const INTEGRITY_KINDS: readonly IntegrityKind[] = ['checkpoint', 'shard_plan', 'work_queue', 'idempotency_record', 'exclusive_record'];

/**
 * Why a run was interrupted: `signal` (SIGTERM/SIGINT: preemption, eviction,
 * drain), `notice` (the cloud's interruption notice, read before the SIGTERM)
 * or `deadline`.
 */
export type InterruptionReason = 'signal' | 'notice' | 'deadline';

const INTERRUPTION_REASONS: readonly InterruptionReason[] = ['signal', 'notice', 'deadline'];

/** Item duration buckets, in seconds: 1 ms to 1 min. */
export const DEFAULT_ITEM_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Checkpoint duration buckets, in seconds: 10 ms to 2 min (a preemption budget is 15-120 s). */
export const CHECKPOINT_BUCKETS: readonly number[] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120];

/** The exit code the process ends with for a shutdown reason; `failed` depends on the error. */
const EXIT_CODE_BY_REASON: Readonly<Record<ShutdownReason, number | undefined>> = {
  completed: exitCodeFor('success'),
  failed: undefined,
  signal: exitCodeFor('interrupted'),
  notice: exitCodeFor('interrupted'),
  deadline: exitCodeFor('deadline'),
};

/**
 * Create the job's registry with the standard batch metrics:
 *
 * | metric | type | meaning |
 * |---|---|---|
 * | `jobkit_job_info{platform,namespace,pod,node,attempt,count}` | gauge | always 1; who pushed |
 * | `jobkit_job_start_time_seconds` | gauge | when this run started |
 * | `jobkit_job_duration_seconds` | gauge | time since start (at each push), then total |
 * | `jobkit_job_end_time_seconds` | gauge | when this run ended (absent while running) |
 * | `jobkit_job_last_success_time_seconds` | gauge | set only by a successful end |
 * | `jobkit_job_exit_code` | gauge | the exit code (absent while running) |
 * | `jobkit_job_exit_class_info{class}` | gauge | 1 for the exit code's class in the exit-code table (absent while running) |
 * | `jobkit_items_total{outcome}` | counter | items processed / failed / skipped / quarantined |
 * | `jobkit_item_duration_seconds` | histogram | per-item time |
 * | `jobkit_retries_total{operation}` | counter | in-process retries |
 * | `jobkit_checkpoint_save_duration_seconds` / `_load_` | histogram | checkpoint I/O time |
 * | `jobkit_checkpoint_saved_bytes_total` / `_loaded_` | counter | checkpoint bytes |
 * | `jobkit_checkpoint_last_save_bytes` | gauge | size of the latest save |
 * | `jobkit_checkpoint_last_success_time_seconds` | gauge | when the latest save committed (checkpoint age = time() - it) |
 * | `jobkit_integrity_failures_total{kind}` | counter | stored data found corrupt: checkpoints that failed verification on load, plans and records that could not be read |
 * | `jobkit_checkpoint_age_seconds` | gauge | seconds since the latest save committed, at collect time (absent before it) |
 * | `jobkit_shard_items`, `jobkit_shard_position` | gauge | this index's share: its size, and how far it got |
 * | `jobkit_queue_chunks{queue}`, `jobkit_queue_chunks_left{queue}` | gauge | a work queue's chunks, and those not known to be finished |
 * | `jobkit_idempotency_results_total{result}` | counter | hit / miss / conflict / takeover |
 * | `jobkit_limiter_wait_seconds_total{limiter}` | counter | time spent waiting for a rate limiter's tokens |
 * | `jobkit_limiter_throttled_total{limiter}` | counter | throttled answers (429, 503) reported to a limiter |
 * | `jobkit_limiter_rate_per_second{limiter}` | gauge | the rate a limiter allows this pod now (lower while throttled) |
 * | `jobkit_job_interruptions_total{reason}` | counter | signal / notice / deadline interruptions of this run |
 * | `jobkit_interruption_advisories_total{kind}` | counter | cloud notices that did not stop the run (rebalance) |
 * | `jobkit_process_cpu_seconds`, `jobkit_process_peak_rss_bytes` | gauge | CPU used and peak memory so far |
 * | `jobkit_container_memory_limit_bytes`, `jobkit_container_cpu_limit_cores` | gauge | cgroup v2 limits, when there are |
 *
 * @example
 * ```ts
 * const metrics = createJobMetrics({ identity: resolveIdentity() });
 * metrics.checkpointSaved(48_213, 120);
 * metrics.idempotency('hit');
 * console.log(await metrics.registry.metrics());
 * ```
 */
export function createJobMetrics(options: JobMetricsOptions): JobMetrics {
  const { identity } = options;
  const registry = options.registry ?? new Registry();
  const now = options.now ?? Date.now;
  const registers = [registry];
  registerResourceMetrics(registry, options.cgroupDir ?? '/sys/fs/cgroup');
  const startedAtMs = now();
  let endedAtMs: number | undefined;

  const info = new Gauge({
    name: 'jobkit_job_info',
    help: 'Always 1: the identity of the pod that pushed this group.',
    labelNames: ['platform', 'namespace', 'pod', 'node', 'attempt', 'count', 'job_name', 'cronjob', 'scheduled_time', 'trigger', 'run_id'] as const,
    registers,
  });
  const run = describeRun(identity);
  info.set(
    {
      platform: identity.platform,
      namespace: identity.namespace,
      pod: identity.podName ?? '',
      node: identity.nodeName ?? '',
      attempt: identity.attempt === undefined ? '' : String(identity.attempt),
      count: String(identity.count),
      // The group's job label is the CronJob's for a CronJob run: which Job pushed is said here.
      job_name: identity.jobName,
      cronjob: run.cronJobName ?? '',
      scheduled_time: run.scheduledTime === undefined ? '' : rfc3339Seconds(run.scheduledTime),
      trigger: run.trigger,
      run_id: run.id,
    },
    1,
  );
  new Gauge({ name: 'jobkit_job_start_time_seconds', help: 'Start time of this run, in seconds since the epoch.', registers }).set(
    startedAtMs / 1000,
  );
  new Gauge({
    name: 'jobkit_job_duration_seconds',
    help: 'Seconds since the run started; the total run time once it has ended.',
    registers,
    collect() {
      this.set(((endedAtMs ?? now()) - startedAtMs) / 1000);
    },
  });
  // A label-less prom-client gauge reads 0 until set, and 0 is a real exit code
  // and a real timestamp: these appear only once they have a value.
  const endTime = lateGauge(registry, { name: 'jobkit_job_end_time_seconds', help: 'End time of this run, in seconds since the epoch.' });
  const lastSuccess = lateGauge(registry, {
    name: 'jobkit_job_last_success_time_seconds',
    help: 'End time of the last successful run, in seconds since the epoch.',
  });
  const exitCode = lateGauge(registry, { name: 'jobkit_job_exit_code', help: 'Exit code this run ended with.' });
  // The failure breakdown in one query: count by (class) (jobkit_job_exit_class_info{class!="success"}).
  const exitClass = new Gauge({
    name: 'jobkit_job_exit_class_info',
    help: 'Always 1, set when the run ends: the class of its exit code in the exit-code table (success, retryable, permanent, configuration, interrupted, deadline, fenced, busy, crash; unknown for a code outside it).',
    labelNames: ['class'] as const,
    registers,
  });

  const items = createTally(registry, {
    name: 'jobkit_items_total',
    help: 'Items handled by this run, by outcome.',
    label: 'outcome',
    values: ['processed', 'failed', 'skipped', 'quarantined'],
  }).counts;
  const itemDuration = createFastHistogram(registry, {
    name: 'jobkit_item_duration_seconds',
    help: 'Time spent on one item.',
    buckets: options.itemBuckets ?? DEFAULT_ITEM_BUCKETS,
  });
  const retries = new Counter({
    name: 'jobkit_retries_total',
    help: 'In-process retries, by operation.',
    labelNames: ['operation'] as const,
    registers,
  });
  const saveDuration = new Histogram({
    name: 'jobkit_checkpoint_save_duration_seconds',
    help: 'Time to save a checkpoint.',
    buckets: [...CHECKPOINT_BUCKETS],
    registers,
  });
  const loadDuration = new Histogram({
    name: 'jobkit_checkpoint_load_duration_seconds',
    help: 'Time to load a checkpoint.',
    buckets: [...CHECKPOINT_BUCKETS],
    registers,
  });
  const savedBytes = new Counter({ name: 'jobkit_checkpoint_saved_bytes_total', help: 'Checkpoint bytes written.', registers });
  const loadedBytes = new Counter({ name: 'jobkit_checkpoint_loaded_bytes_total', help: 'Checkpoint bytes read.', registers });
  const lastSaveBytes = lateGauge(registry, { name: 'jobkit_checkpoint_last_save_bytes', help: 'Size of the latest checkpoint save.' });
  // time() minus this is the checkpoint age: the work a preemption now would redo.
  const lastSaveTime = lateGauge(registry, {
    name: 'jobkit_checkpoint_last_success_time_seconds',
    help: 'When the latest checkpoint save committed, in seconds since the epoch.',
  });
  // Computed at collect time, so each push says what a preemption at that moment would redo.
  let lastSaveAtMs: number | undefined;
  const checkpointAge = new Gauge({
    name: 'jobkit_checkpoint_age_seconds',
    help: 'Seconds since the latest durable checkpoint of this run: the work a preemption now would redo (absent before the first).',
    registers: [],
    collect() {
      if (lastSaveAtMs !== undefined) this.set(Math.max(0, (now() - lastSaveAtMs) / 1000));
    },
  });
  const interruptions = new Counter({
    name: 'jobkit_job_interruptions_total',
    help: 'Interruptions of this run, by reason: signal (SIGTERM/SIGINT: preemption, eviction, drain), notice (the cloud\'s interruption notice, before the SIGTERM) or deadline.',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of INTERRUPTION_REASONS) interruptions.labels(reason).inc(0);
  const advisories = new Counter({
    name: 'jobkit_interruption_advisories_total',
    help: "Notices of the cloud that did not stop this run, by kind: rebalance (AWS's rebalance recommendation, an elevated risk of interruption).",
    labelNames: ['kind'] as const,
    registers,
  });
  // Work remaining: jobkit_shard_items - jobkit_shard_position. Absent until a share is handed out.
  let share: { readonly size: number; readonly position: number } | undefined;
  const shareItems = new Gauge({
    name: 'jobkit_shard_items',
    help: "Items in this index's share (job.shard.range, items or objects).",
    registers: [],
    collect() {
      if (share !== undefined) this.set(share.size);
    },
  });
  const sharePosition = new Gauge({
    name: 'jobkit_shard_position',
    help: "Items of this index's share finished so far.",
    registers: [],
    collect() {
      if (share !== undefined) this.set(share.position);
    },
  });
  const integrityFailures = new Counter({
    name: 'jobkit_integrity_failures_total',
    help: 'Stored data found corrupt, by kind: checkpoints that failed verification on load (load fell back to an older one), shard plans, work-queue, idempotency and single-run records that could not be read.',
    labelNames: ['kind'] as const,
    registers,
  });
  for (const kind of INTEGRITY_KINDS) integrityFailures.labels(kind).inc(0);
  // Work remaining in the work queues this run uses: one series per queue name. Absent until a queue scans.
  const queues = new Map<string, { chunks: number; left: number }>();
  const queueChunks = new Gauge({
    name: 'jobkit_queue_chunks',
    help: 'Chunks of a work queue this run works on.',
    labelNames: ['queue'] as const,
    registers: [],
    collect() {
      for (const [queue, q] of queues) this.labels(queue).set(q.chunks);
    },
  });
  const queueLeft = new Gauge({
    name: 'jobkit_queue_chunks_left',
    help: 'Chunks of a work queue not known to this run to be done or failed (an upper bound that tightens as it scans).',
    labelNames: ['queue'] as const,
    registers: [],
    collect() {
      for (const [queue, q] of queues) this.labels(queue).set(q.left);
    },
  });
  const idempotencyResults = new Counter({
    name: 'jobkit_idempotency_results_total',
    help: 'Idempotency checks, by result: hit (already done, skipped), miss (executed), conflict (held or payload mismatch), takeover (a miss that took over an expired lease).',
    labelNames: ['result'] as const,
    registers,
  });
  for (const result of IDEMPOTENCY_RESULTS) idempotencyResults.labels(result).inc(0);
  const limiterWait = new Counter({
    name: 'jobkit_limiter_wait_seconds_total',
    help: "Seconds spent waiting for a rate limiter's tokens (job.limiter), by limiter.",
    labelNames: ['limiter'] as const,
    registers,
  });
  const limiterThrottled = new Counter({
    name: 'jobkit_limiter_throttled_total',
    help: 'Throttled answers (429, 503) reported to a rate limiter, by limiter.',
    labelNames: ['limiter'] as const,
    registers,
  });
  const limiterRate = new Gauge({
    name: 'jobkit_limiter_rate_per_second',
    help: 'The rate a limiter allows this pod now, in tokens per second (below the configured rate while throttled).',
    labelNames: ['limiter'] as const,
    registers,
  });

  return {
    registry,
    itemProcessed(durationMs) {
      items.processed += 1;
      if (durationMs !== undefined) itemDuration.observe(durationMs / 1000);
    },
    itemFailed(durationMs) {
      items.failed += 1;
      if (durationMs !== undefined) itemDuration.observe(durationMs / 1000);
    },
    itemSkipped() {
      items.skipped += 1;
    },
    items(outcome, n) {
      if (!(Number.isFinite(n) && n >= 0)) throw new RangeError(`items(): n must be a finite number >= 0, got ${n}`);
      items[outcome] += n;
    },
    progress() {
      return { items: { ...items }, share: share === undefined ? undefined : { size: share.size, position: share.position } };
    },
    retry(operation) {
      retries.labels(operation).inc();
    },
    checkpointSaved(bytes, durationMs) {
      saveDuration.observe(durationMs / 1000);
      savedBytes.inc(bytes);
      lastSaveBytes.set(bytes);
      lastSaveTime.set(now() / 1000);
      if (lastSaveAtMs === undefined) registry.registerMetric(checkpointAge);
      lastSaveAtMs = now();
    },
    checkpointLoaded(bytes, durationMs) {
      loadDuration.observe(durationMs / 1000);
      loadedBytes.inc(bytes);
    },
    checkpointCorrupt() {
      integrityFailures.labels('checkpoint').inc();
    },
    integrityFailure(kind) {
      integrityFailures.labels(kind).inc();
    },
    trackQueue(progress) {
      if (queues.size === 0) {
        registry.registerMetric(queueChunks);
        registry.registerMetric(queueLeft);
      }
      queues.set(progress.name, { chunks: progress.chunks, left: progress.left });
    },
    trackShare(next) {
      if (share === undefined) {
        registry.registerMetric(shareItems);
        registry.registerMetric(sharePosition);
      }
      share = next;
    },
    idempotency(result) {
      idempotencyResults.labels(result).inc();
    },
    interrupted(reason) {
      interruptions.labels(reason).inc();
    },
    interruptionAdvisory(kind) {
      advisories.labels(kind).inc();
    },
    finished(outcome) {
      if (endedAtMs !== undefined) return;
      endedAtMs = now();
      endTime.set(endedAtMs / 1000);
      if (outcome.exitCode === undefined) return;
      exitCode.set(outcome.exitCode);
      exitClass.labels(exitClassOf(outcome.exitCode) ?? 'unknown').set(1);
      if (outcome.exitCode === exitCodeFor('success')) lastSuccess.set(endedAtMs / 1000);
    },
    get isFinished() {
      return endedAtMs !== undefined;
    },
    limiter(name) {
      limiterWait.labels(name).inc(0);
      limiterThrottled.labels(name).inc(0);
      return {
        waited: (seconds) => limiterWait.labels(name).inc(seconds),
        throttled: () => limiterThrottled.labels(name).inc(),
        rate: (ratePerSecond) => limiterRate.labels(name).set(ratePerSecond),
      };
    },
    counter: (config) => new Counter({ ...config, registers }),
    gauge: (config) => new Gauge({ ...config, registers }),
    histogram: (config) => new Histogram({ ...config, registers }),
  };
}

/** A label-less gauge registered on its first set(), so it is absent (not 0) until then. */
function lateGauge(registry: Registry, config: { readonly name: string; readonly help: string }): { set(value: number): void } {
  const gauge = new Gauge({ ...config, registers: [] });
  let registered = false;
  return {
    set(value) {
      gauge.set(value);
      if (registered) return;
      registered = true;
      registry.registerMetric(gauge);
    },
  };
}

/**
 * The exit code implied by a shutdown reason, for a final push when the runtime
 * did not call {@link JobMetrics.finished}; undefined for `failed` (the code
 * depends on the error).
 *
 * @example
 * ```ts
 * exitCodeForReason('signal'); // 143
 * ```
 */
export function exitCodeForReason(reason: ShutdownReason): number | undefined {
  return EXIT_CODE_BY_REASON[reason];
}
