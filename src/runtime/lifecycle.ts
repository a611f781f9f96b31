/**
 * The lifecycle: the job's AbortSignal, the registry of shutdown hooks, and
 * the runner that plays them phase by phase (checkpoint -> release ->
 * telemetry -> logs) inside one overall budget.
 *
 * Hooks run on every outcome, told the reason. A hook that fails or overruns
 * its budget is logged and abandoned; it never changes the exit code (a
 * telemetry backend that is down must not fail a Job) and never stops the
 * phases after it.
 *
 * Signal handling, deadlines and the exit itself live in run-job.ts; this file
 * does no process-level I/O, so it is unit-testable with fake hooks.
 */
import { type Env, checkOption, readNumber } from './config.ts';
import { ConfigurationError, DeadlineExceededError } from './errors.ts';
import type { JobLogger, Lifecycle, ShutdownHook, ShutdownPhase, ShutdownReason } from './types.ts';

/** The phases in the order they run. */
export const SHUTDOWN_PHASES: readonly ShutdownPhase[] = ['checkpoint', 'release', 'telemetry', 'logs'];

/** Kubernetes' default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_PERIOD_SECONDS = 30;

/** What became of one hook. */
export interface HookReport {
  readonly name: string;
  readonly phase: ShutdownPhase;
  /** `skipped`: the overall budget was already spent when its phase started. */
  readonly outcome: 'ok' | 'failed' | 'timed-out' | 'skipped';
  readonly durationMs: number;
  /** The error a failed hook threw. */
  readonly error?: unknown;
}

/** What {@link LifecycleController.shutdown} did. */
export interface ShutdownReport {
  readonly reason: ShutdownReason;
  readonly hooks: readonly HookReport[];
}

/** The lifecycle as its owner (runJob, or a test) sees it. */
export interface LifecycleController extends Lifecycle {
  /** Abort {@link Lifecycle.signal} with `reason`; only the first call counts. */
  stop(reason: unknown): void;
  /**
   * Run every registered hook, phase by phase, and resolve when all have
   * finished, failed or run out of budget. Each hook gets
   * `min(hook.budgetMs, time left before endsAt())`. Runs once: later calls
   * return the first call's promise.
   *
   * @param endsAt when the whole shutdown must be over (`performance.now()`
   *   milliseconds); a getter, because a signal arriving during shutdown can
   *   bring the end closer.
   */
  shutdown(reason: ShutdownReason, endsAt: () => number): Promise<ShutdownReport>;
}

/** Options of {@link createLifecycle}. */
export interface LifecycleOptions {
  /** Where hook failures and overruns are reported. */
  readonly log?: JobLogger;
}

/**
 * Create a lifecycle.
 *
 * @example
 * ```ts
 * const lifecycle = createLifecycle({ log });
 * lifecycle.onShutdown({ name: 'metrics.push', phase: 'telemetry', budgetMs: 2_000, run: push });
 * lifecycle.stop(new InterruptedError('SIGTERM'));
 * await lifecycle.shutdown('signal', () => performance.now() + 25_000);
 * ```
 */
export function createLifecycle(options: LifecycleOptions = {}): LifecycleController {
  const { log } = options;
  const controller = new AbortController();
  const hooks = new Set<ShutdownHook>();
  let running: Promise<ShutdownReport> | undefined;

  const runPhase = async (phase: ShutdownPhase, reason: ShutdownReason, endsAt: () => number): Promise<HookReport[]> => {
    const phaseHooks = [...hooks].filter((h) => h.phase === phase);
    const left = endsAt() - performance.now();
    if (phaseHooks.length > 0) log?.debug({ phase, hooks: phaseHooks.map((h) => h.name), budgetLeftMs: Math.round(left) }, 'shutdown phase');
    return await Promise.all(phaseHooks.map((hook) => runHook(hook, reason, Math.min(hook.budgetMs, left), log)));
  };

  return {
    signal: controller.signal,
    onShutdown(hook: ShutdownHook): () => void {
      validateHook(hook);
      hooks.add(hook);
      return () => {
        hooks.delete(hook);
      };
    },
    stop(reason: unknown): void {
      if (!controller.signal.aborted) controller.abort(reason);
    },
    shutdown(reason: ShutdownReason, endsAt: () => number): Promise<ShutdownReport> {
      running ??= (async () => {
        const reports: HookReport[] = [];
        // Hooks are read per phase, so an early phase may still register a later one.
        for (const phase of SHUTDOWN_PHASES) reports.push(...(await runPhase(phase, reason, endsAt)));
        return { reason, hooks: reports };
      })();
      return running;
    },
  };
}

async function runHook(hook: ShutdownHook, reason: ShutdownReason, budgetMs: number, log: JobLogger | undefined): Promise<HookReport> {
  const { name, phase } = hook;
  if (budgetMs <= 0) {
    log?.warn({ hook: name, phase }, 'shutdown hook skipped: the shutdown budget is spent');
    return { name, phase, outcome: 'skipped', durationMs: 0 };
  }
  const started = performance.now();
  const hookController = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<'timed-out'>((resolve) => {
    timer = setTimeout(() => {
      hookController.abort(new DeadlineExceededError(`shutdown hook ${name} exceeded its budget of ${Math.round(budgetMs)} ms`));
      resolve('timed-out');
    }, budgetMs);
  });
  const work = Promise.resolve()
    .then(() => hook.run({ reason, signal: hookController.signal, budgetMs }))
    .then(() => 'ok' as const);
  try {
    const outcome = await Promise.race([work, overrun]);
    const durationMs = performance.now() - started;
    if (outcome === 'timed-out') {
      log?.warn({ hook: name, phase, budgetMs: Math.round(budgetMs) }, 'shutdown hook overran its budget and was abandoned');
    }
    return { name, phase, outcome, durationMs };
  } catch (error) {
    log?.error({ hook: name, phase, err: error }, 'shutdown hook failed');
    return { name, phase, outcome: 'failed', durationMs: performance.now() - started, error };
  } finally {
    clearTimeout(timer);
  }
}

function validateHook(hook: ShutdownHook): void {
  if (!SHUTDOWN_PHASES.includes(hook.phase)) {
    throw new ConfigurationError(`shutdown hook ${hook.name}: phase must be one of ${SHUTDOWN_PHASES.join(', ')}, got "${String(hook.phase)}"`);
  }
  if (!Number.isFinite(hook.budgetMs) || hook.budgetMs <= 0) {
    throw new ConfigurationError(`shutdown hook ${hook.name}: budgetMs must be a number > 0, got ${String(hook.budgetMs)}`);
  }
}

/** Code forms of the lifecycle's settings; each wins over its env form. */
export interface LifecycleSettingsOptions {
  /**
   * Seconds between SIGTERM and SIGKILL (JOBKIT_GRACE_PERIOD_SECONDS, set by the
   * manifest to terminationGracePeriodSeconds). Default 30.
   */
  readonly gracePeriodSeconds?: number;
  /**
   * Seconds kept free at the end of the grace period so the process exits by
   * itself before SIGKILL (JOBKIT_SHUTDOWN_MARGIN_SECONDS). Default: 10% of the
   * grace period, at least 0.5 s and at most 5 s (and at most half the grace period).
   */
  readonly shutdownMarginSeconds?: number;
  /**
   * Stop the work after this many seconds from start, like activeDeadlineSeconds
   * but for this process, leaving time to checkpoint; exits 124
   * (JOBKIT_DEADLINE_SECONDS). Default: none.
   */
  readonly deadlineSeconds?: number;
}

/** The longest delay a Node timer honours, in whole seconds (2^31 - 1 ms). */
const MAX_TIMER_SECONDS = 2_147_483;

/** The lifecycle's settings, resolved and in milliseconds. */
export interface LifecycleSettings {
  readonly gracePeriodMs: number;
  readonly marginMs: number;
  /** Time from a stop request to the forced exit: grace period minus margin. */
  readonly shutdownBudgetMs: number;
  readonly deadlineMs: number | undefined;
}

/**
 * Resolve grace period, safety margin and deadline from options and env.
 *
 * @throws ConfigurationError naming the variable or option on a bad value, or
 *   when the margin leaves no time for shutdown.
 * @example
 * ```ts
 * resolveLifecycleSettings({ JOBKIT_GRACE_PERIOD_SECONDS: '15' }).shutdownBudgetMs; // 13500
 * ```
 */
export function resolveLifecycleSettings(env: Env, options: LifecycleSettingsOptions = {}): LifecycleSettings {
  // Node's timers fire at once past 2^31 - 1 ms (24.8 days): a longer deadline
  // or grace period would stop the job immediately, so it is refused instead.
  const positive = { min: 0, minExclusive: true, max: MAX_TIMER_SECONDS } as const;
  const grace =
    checkOption('gracePeriodSeconds', options.gracePeriodSeconds, positive) ??
    readNumber(env, 'JOBKIT_GRACE_PERIOD_SECONDS', positive) ??
    DEFAULT_GRACE_PERIOD_SECONDS;
  const marginSource =
    options.shutdownMarginSeconds !== undefined ? 'option shutdownMarginSeconds' : 'JOBKIT_SHUTDOWN_MARGIN_SECONDS';
  const margin =
    checkOption('shutdownMarginSeconds', options.shutdownMarginSeconds, { min: 0 }) ??
    readNumber(env, 'JOBKIT_SHUTDOWN_MARGIN_SECONDS', { min: 0 }) ??
    Math.min(5, Math.max(0.5, grace * 0.1), grace / 2);
  if (margin >= grace) {
    throw new ConfigurationError(
      `${marginSource}=${margin} leaves no shutdown time: it must be below the grace period of ${grace} s`,
    );
  }
  const deadline =
    checkOption('deadlineSeconds', options.deadlineSeconds, positive) ?? readNumber(env, 'JOBKIT_DEADLINE_SECONDS', positive);
  return {
    gracePeriodMs: grace * 1000,
    marginMs: margin * 1000,
    shutdownBudgetMs: (grace - margin) * 1000,
    deadlineMs: deadline === undefined ? undefined : deadline * 1000,
  };
}
