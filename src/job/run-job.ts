/**
 * runJob: the entry point of a job. It builds the identity, logger and
 * lifecycle, runs `main`, maps whatever happens to the exit-code table, runs
 * the shutdown hooks inside the grace budget, and exits.
 *
 * Signal handlers only flag and abort: every piece of I/O (logging, hooks,
 * checkpoints) happens on the ordinary event-loop path after the handler
 * returned. After SIGTERM/SIGINT or the deadline the exit code is 143 / 124,
 * never 0, even when `main` then returns normally: it only saved progress.
 */
import { type JobRun, describeRun } from '../runtime/run.ts';
import { performance } from 'node:perf_hooks';
import { type Logger, type LoggerOptions, createLogger, flushLoggerSync } from '../telemetry/logger.ts';
import { SecretValues } from '../telemetry/secret-values.ts';
import { traceLogMixin } from '../telemetry/span.ts';
import { classifyError } from '../runtime/classify.ts';
import type { Env } from '../runtime/config.ts';
import { DeadlineExceededError, InterruptedError } from '../runtime/errors.ts';
import { type ExitClass, exitCodeFor } from '../runtime/exit-codes.ts';
import { type IdentityOptions, resolveIdentity } from '../runtime/identity.ts';
import { type JobModuleOptions, type JobModules, type JobModulesController, createJobModules, mainGuard, tracingEnabled } from './job-modules.ts';
import {
  type LifecycleController,
  type LifecycleSettings,
  type LifecycleSettingsOptions,
  createLifecycle,
  resolveLifecycleSettings,
} from '../runtime/lifecycle.ts';
import type { JobIdentity, Lifecycle, ShutdownReason } from '../runtime/types.ts';
import { type InterruptionNoticeOptions, type InterruptionSettings, resolveInterruptionSettings } from '../runtime/interruption/config.ts';
import { watchInterruptionNotice } from './interruption-notice.ts';

/**
 * What `main` receives: identity, log, signal and lifecycle, plus the modules
 * (store, checkpoint, idempotency, sharding, metrics, tracing), each built on
 * first use from these four. `S` is the type of the checkpointed state.
 *
 * @example
 * ```ts
 * await runJob(async (job) => {
 *   job.log.info({ index: job.identity.index }, 'starting');
 *   for (const item of items) {
 *     if (job.signal.aborted) return; // exits 143: stopped, not done
 *     await process(item);
 *   }
 * });
 * ```
 */
export interface JobContext<S = unknown> extends JobModules<S> {
  /** Who this process is (read once at start). */
  readonly identity: JobIdentity;
  /** Structured logger; identity fields are on every line. */
  readonly log: Logger;
  /** Aborted on SIGTERM/SIGINT, on the deadline, or on an uncaught error. */
  readonly signal: AbortSignal;
  /** Register shutdown hooks. */
  readonly lifecycle: Lifecycle;
  /**
   * This run: for a CronJob, the CronJob and its scheduled time (`id`
   * `<cronjob>@<time>`), whichever Job carries it; else the Job. Use
   * `run.scheduledTime`, not the clock, to decide what the run covers
   * ("yesterday" of a 02:00 run that starts late is still the same day).
   */
  readonly run: JobRun;
}

/** Options of {@link runJob} and {@link executeJob}; each wins over its env form. */
export interface RunJobOptions<S = unknown> extends LifecycleSettingsOptions, JobModuleOptions<S> {
  /** The environment to read (default `process.env`); tests pass a literal. */
  readonly env?: Env;
  /** Identity values given in code (index, count, job name...). */
  readonly identity?: IdentityOptions;
  /** Logger settings (level, extra redaction, mixin, destination). */
  readonly logger?: Omit<LoggerOptions, 'identity' | 'env'>;
  /** Signals that stop the job. Default SIGTERM and SIGINT. */
  readonly signals?: readonly NodeJS.Signals[];
  /**
   * Poll the cloud's metadata service for an interruption notice and stop
   * before the SIGTERM (docs/configuration.md). Env: JOBKIT_INTERRUPTION_NOTICE and the
   * others of its table.
   */
  readonly interruptionNotice?: InterruptionNoticeOptions;
}

/** The job's code. Returning (or resolving) means the work of this index is done. */
export type JobMain<S = unknown> = (job: JobContext<S>) => Promise<void> | void;

/**
 * Run a job and exit the process with the code of its outcome (see
 * docs/exit-codes.md). Never returns.
 *
 * @example
 * ```ts
 * import { runJob } from 'jobkit';
 *
 * await runJob(async (job) => {
 *   const rows = await load(job.identity.index, { signal: job.signal });
 *   job.log.info({ rows: rows.length }, 'loaded');
 * }, { deadlineSeconds: 3_600 });
 * ```
 */
export async function runJob<S = unknown>(main: JobMain<S>, options: RunJobOptions<S> = {}): Promise<never> {
  const code = await executeJob(main, options);
  process.exit(code);
}

/**
 * {@link runJob} without the exit: resolves with the exit code once the
 * shutdown hooks are done (or the budget is spent, or a second signal forced
 * it). Installs its process handlers for its duration only.
 *
 * @example
 * ```ts
 * const code = await executeJob(async () => { throw new PermanentError('bad input'); });
 * code; // 65
 * ```
 */
export async function executeJob<S = unknown>(main: JobMain<S>, options: RunJobOptions<S> = {}): Promise<number> {
  const env = options.env ?? process.env;
  let identity: JobIdentity;
  let log: Logger;
  const secretValues = options.logger?.secretValues ?? new SecretValues();
  let settings: LifecycleSettings;
  let notice: InterruptionSettings;
  try {
    identity = resolveIdentity(env, options.identity);
    // Trace ids on log lines only when tracing is on: the mixin costs on every line.
    const mixin = options.logger?.mixin ?? (tracingEnabled(env, options.tracing) ? traceLogMixin : undefined);
    log = createLogger({ ...options.logger, ...(mixin === undefined ? {} : { mixin }), identity, env, secretValues });
    settings = resolveLifecycleSettings(env, options);
    notice = resolveInterruptionSettings(env, identity.platform, options.interruptionNotice);
  } catch (error) {
    return reportSetupFailure(error, options);
  }
  const lifecycle = createLifecycle({ log });
  lifecycle.onShutdown({
    name: 'logs.flush',
    phase: 'logs',
    budgetMs: 1_000,
    run: async () => await new Promise<void>((resolve) => log.flush(() => resolve())),
  });
  const publicLifecycle: Lifecycle = { signal: lifecycle.signal, onShutdown: (hook) => lifecycle.onShutdown(hook) };
  let modules: JobModulesController<S>;
  try {
    modules = await createJobModules({ identity, log, lifecycle: publicLifecycle, env, options, secretValues });
  } catch (error) {
    return reportSetupFailure(error, options, log);
  }
  const job: JobContext<S> = Object.defineProperties(
    { identity, log, signal: lifecycle.signal, lifecycle: publicLifecycle, run: describeRun(identity) },
    Object.getOwnPropertyDescriptors(modules.modules),
  ) as JobContext<S>;
  const guard = mainGuard(options.exclusive);
  // Under the guard, main runs only while this pod holds it; a skipped run (onBusy: 'skip') ends with 0.
  const guarded: JobMain<S> = guard === undefined ? main : async (j) => void (await j.exclusive(guard.name, () => main(j)));
  return await supervise(guarded, job, modules, lifecycle, { ...settings, notice }, options.signals);
}

interface StopRequest {
  readonly exitClass: 'interrupted' | 'deadline';
  readonly reason: ShutdownReason;
  readonly error: Error;
}

/** How main ended, before the stop rules apply. */
type MainResult =
  | { readonly kind: 'returned' }
  | { readonly kind: 'threw'; readonly error: unknown }
  | { readonly kind: 'uncaught'; readonly error: unknown }
  | { readonly kind: 'forced'; readonly code: number };

interface Outcome {
  readonly code: number;
  readonly reason: ShutdownReason;
}

async function supervise<S>(
  main: JobMain<S>,
  job: JobContext<S>,
  modules: JobModulesController<S>,
  lifecycle: LifecycleController,
  settings: LifecycleSettings & { readonly notice: InterruptionSettings },
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): Promise<number> {
  const { log } = job;
  let stop: StopRequest | undefined;
  let signalsSeen = 0;
  let outcome: Outcome | undefined;
  let budgetEndsAt = Number.POSITIVE_INFINITY;
  let budgetTimer: NodeJS.Timeout | undefined;
  let resolveForced!: (code: number) => void;
  const forced = new Promise<number>((resolve) => (resolveForced = resolve));
  let resolveUncaught!: (error: unknown) => void;
  const uncaught = new Promise<MainResult>((resolve) => (resolveUncaught = (error) => resolve({ kind: 'uncaught', error })));

  const stopCode = (): number => outcome?.code ?? exitCodeFor(stop?.exitClass ?? 'crash');

  // The budget starts at the first stop request (SIGKILL follows the grace
  // period) or at the start of the shutdown, whichever comes first.
  const startBudget = (): void => {
    const endsAt = performance.now() + settings.shutdownBudgetMs;
    if (endsAt >= budgetEndsAt) return;
    budgetEndsAt = endsAt;
    clearTimeout(budgetTimer);
    budgetTimer = setTimeout(() => {
      log.error({ budgetMs: settings.shutdownBudgetMs, exitCode: stopCode() }, 'shutdown budget spent: exiting now');
      resolveForced(stopCode());
    }, settings.shutdownBudgetMs);
  };

  const requestStop = (request: StopRequest): void => {
    if (stop === undefined && outcome === undefined) {
      stop = request;
      lifecycle.stop(request.error);
    }
    startBudget();
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    signalsSeen += 1;
    if (signalsSeen > 1) {
      resolveForced(stopCode());
      return;
    }
    // Queued before the abort so the line precedes whatever main logs in reaction.
    queueMicrotask(() => log.warn({ signal }, `received ${signal}: stopping the work; a second ${signal} exits at once`));
    requestStop({ exitClass: 'interrupted', reason: 'signal', error: new InterruptedError(`received ${signal}`) });
  };

  const onDeadline = (): void => {
    const seconds = (settings.deadlineMs ?? 0) / 1000;
    requestStop({
      exitClass: 'deadline',
      reason: 'deadline',
      error: new DeadlineExceededError(`deadline of ${seconds} s exceeded (JOBKIT_DEADLINE_SECONDS / option deadlineSeconds)`),
    });
    log.warn({ deadlineSeconds: seconds }, 'deadline reached: stopping the work');
  };

  const onUncaught = (error: unknown): void => {
    if (outcome !== undefined) {
      log.error({ err: error }, 'uncaught error during shutdown (exit code unchanged)');
      return;
    }
    lifecycle.stop(error);
    resolveUncaught(error);
  };

  const onBeforeExit = (): void => {
    // The event loop emptied while main was still pending: a promise that can never settle.
    onUncaught(new Error('the event loop emptied before main settled (an awaited promise can never resolve)'));
  };

  for (const signal of signals) process.on(signal, onSignal);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  process.on('beforeExit', onBeforeExit);
  const deadlineTimer = settings.deadlineMs === undefined ? undefined : setTimeout(onDeadline, settings.deadlineMs);
  const watcher = watchInterruptionNotice({
    settings: settings.notice,
    log,
    metrics: job.metrics,
    stop: (error) => requestStop({ exitClass: 'interrupted', reason: 'notice', error }),
  });

  try {
    const settled = Promise.resolve()
      .then(() => modules.wrapMain(async () => await main(job)))
      .then(
        (): MainResult => ({ kind: 'returned' }),
        (error: unknown): MainResult => ({ kind: 'threw', error }),
      );
    const result = await Promise.race([settled, uncaught, forced.then((code): MainResult => ({ kind: 'forced', code }))]);
    if (result.kind === 'forced') return result.code;
    clearTimeout(deadlineTimer);
    watcher.stop();

    outcome = decideOutcome(stop, result, log);
    modules.finished(outcome.code);
    startBudget();
    const shutdown = lifecycle.shutdown(outcome.reason, () => budgetEndsAt).then(() => outcome?.code ?? 0);
    return await Promise.race([shutdown, forced]);
  } finally {
    flushLoggerSync(log);
    clearTimeout(deadlineTimer);
    clearTimeout(budgetTimer);
    watcher.stop();
    for (const signal of signals) process.off(signal, onSignal);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    process.off('beforeExit', onBeforeExit);
  }
}

/** Map how main ended to an exit code, and say so in the log. */
function decideOutcome(stop: StopRequest | undefined, result: Exclude<MainResult, { kind: 'forced' }>, log: Logger): Outcome {
  if (stop !== undefined) {
    const code = exitCodeFor(stop.exitClass);
    if (result.kind !== 'returned' && result.error !== stop.error) {
      log.warn({ err: result.error }, 'main failed after the stop request');
    }
    log.warn({ exitCode: code, reason: stop.reason }, `${stop.error.message}: the work is not finished, exiting ${code}`);
    return { code, reason: stop.reason };
  }
  if (result.kind !== 'returned') {
    const exitClass: ExitClass = classifyError(result.error);
    const code = exitCodeFor(exitClass);
    const what = result.kind === 'uncaught' ? 'uncaught exception or unhandled rejection' : 'main threw';
    log.fatal({ err: result.error, exitCode: code, exitClass }, `job failed (${exitClass}: ${what}), exiting ${code}`);
    return { code, reason: 'failed' };
  }
  log.info({ exitCode: 0 }, 'job completed');
  return { code: 0, reason: 'completed' };
}

/** Identity, logger or settings could not be built: log what is wrong with a bare logger and return its code. */
function reportSetupFailure<S>(error: unknown, options: RunJobOptions<S>, jobLog?: Logger): number {
  const exitClass = classifyError(error);
  const code = exitCodeFor(exitClass);
  const log =
    jobLog ?? createLogger({ level: 'info', ...(options.logger?.destination ? { destination: options.logger.destination } : {}) });
  log.fatal({ err: error, exitCode: code, exitClass }, `job cannot start: ${error instanceof Error ? error.message : String(error)}`);
  flushLoggerSync(log);
  return code;
}
