/**
 * Types shared by every module: the job identity, the lifecycle's shutdown
 * hooks and the logger contract. Implementations live in identity.ts,
 * lifecycle.ts and telemetry/logger.ts.
 */

/**
 * The logger every jobkit module takes: four levels, each a fields object and
 * a message. The job's pino logger (`job.log`) is one; any object with these
 * four methods is one too, so a module never depends on pino itself.
 *
 * @example
 * ```ts
 * const log: JobLogger = {
 *   debug: () => {},
 *   info: (fields, msg) => console.log(msg, fields),
 *   warn: (fields, msg) => console.warn(msg, fields),
 *   error: (fields, msg) => console.error(msg, fields),
 * };
 * const checkpoint = createCheckpointer({ store, identity, log });
 * ```
 */
export interface JobLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** Where the process runs, as detected from the environment. */
export type Platform = 'kubernetes' | 'aws-batch' | 'cloud-run' | 'cloud-batch' | 'slurm' | 'argo' | 'jobset' | 'local';

/**
 * Who this process is: read once at start, then passed to logs, metrics,
 * traces and store keys.
 *
 * @example
 * ```ts
 * const { index, count } = job.identity;
 * console.log(`I am index ${index} of ${count}`);
 * ```
 */
export interface JobIdentity {
  /** The batch platform detected from the environment. */
  readonly platform: Platform;
  /** Job name (Kubernetes Job name, AWS Batch job id, Cloud Run job, Slurm array job id...). */
  readonly jobName: string;
  /** Kubernetes namespace, or `default` elsewhere. */
  readonly namespace: string;
  /** Pod (or task) name, when the platform tells it. */
  readonly podName: string | undefined;
  /** Pod UID, when the platform tells it. */
  readonly podUid: string | undefined;
  /** Node name, when the platform tells it. */
  readonly nodeName: string | undefined;
  /** This task's index, 0-based, always `< count`. */
  readonly index: number;
  /** How many indexes the job has (1 when not an array/indexed job). */
  readonly count: number;
  /**
   * Which attempt this is, 0-based (0 = first try), when the platform tells it;
   * undefined when it does not.
   */
  readonly attempt: number | undefined;
  /**
   * The CronJob this Job was created from (`JOBKIT_CRONJOB_NAME`, which
   * `jobkit manifest --schedule` writes), or undefined for a plain Job.
   */
  readonly cronJobName?: string | undefined;
  /**
   * The nominal time of this scheduled run (what the schedule said, not when
   * the pod started): `JOBKIT_SCHEDULED_TIME`, else read from the Job name the
   * CronJob controller gives (`<cronjob>-<minutes since the epoch>`, so to the
   * minute). Undefined for manual runs and plain Jobs.
   */
  readonly scheduledTime?: Date | undefined;
  /**
   * What started this run: `schedule` (the CronJob controller, at
   * `scheduledTime`), `manual` (a Job made from the CronJob by hand, e.g.
   * `kubectl create job --from=cronjob/...`), `none` (a plain Job). Set by
   * resolveIdentity; absent in hand-built identities means `none`.
   */
  readonly trigger?: JobTrigger;
}

/** What started a run: see {@link JobIdentity.trigger}. */
export type JobTrigger = 'schedule' | 'manual' | 'none';

/**
 * Why the lifecycle is shutting down: `completed`, `failed`, `signal`
 * (SIGTERM/SIGINT), `notice` (the cloud's interruption notice, ahead of the
 * SIGTERM) or `deadline`.
 */
export type ShutdownReason = 'completed' | 'failed' | 'signal' | 'notice' | 'deadline';

/** What a shutdown hook is told. */
export interface ShutdownContext {
  /** Why the process is stopping. */
  readonly reason: ShutdownReason;
  /** Aborted when this hook's own budget is spent; stop I/O then. */
  readonly signal: AbortSignal;
  /** Milliseconds this hook may still use. */
  readonly budgetMs: number;
}

/**
 * Shutdown phases, run in this order. Each phase's hooks run concurrently; a
 * phase starts when the previous one has finished or spent its budget.
 */
export type ShutdownPhase = 'checkpoint' | 'release' | 'telemetry' | 'logs';

/** A hook that a module registers to run when the process stops. */
export interface ShutdownHook {
  /** Name for logs: `checkpoint.final-save`, `metrics.push`... */
  readonly name: string;
  /** When it runs (see {@link ShutdownPhase}). */
  readonly phase: ShutdownPhase;
  /** Most milliseconds it may take; it is abandoned after that. */
  readonly budgetMs: number;
  /** The work. Must honour `ctx.signal`. */
  run(ctx: ShutdownContext): Promise<void>;
}

/**
 * The part of the lifecycle that modules see.
 *
 * @example
 * ```ts
 * job.lifecycle.onShutdown({
 *   name: 'my.flush', phase: 'release', budgetMs: 2_000,
 *   run: async ({ signal }) => { await queue.flush({ signal }); },
 * });
 * ```
 */
export interface Lifecycle {
  /** Aborted on SIGTERM/SIGINT, on an interruption notice, or when the deadline passes. */
  readonly signal: AbortSignal;
  /** Register a hook; returns a function that unregisters it. */
  onShutdown(hook: ShutdownHook): () => void;
}
