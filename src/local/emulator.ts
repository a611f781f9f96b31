/**
 * `jobkit run`: a local Job controller. Loads and validates a Job manifest,
 * runs its pods as local processes under the emulated controller, injects
 * seeded chaos, and returns the final Job object.
 */
import { hostname } from 'node:os';
import { type AppliedChaos, ChaosEngine, type ChaosSpec, describeChaos, NO_CHAOS, planJobChaos } from './chaos.ts';
import { JobController } from './controller.ts';
import { InvalidManifestError } from './errors.ts';
import { type FieldError, OMIT_VALUE, invalid, required } from './field-errors.ts';
import type { LocalPod } from './pod.ts';
import { type PodRunnerSink, PodRunner } from './pod-runner.ts';
import { parseManifestText, readJob } from './read-manifest.ts';
import type { RunObserver } from './run-observer.ts';
import { SeededRandom } from './rng.ts';
import { RunTimers } from './timers.ts';
import type { Job } from './types.ts';
import { JOB_CONTROLLER_NAME, applyJobDefaults, jobkitEnvErrors, validateJob } from './validate.ts';

/** Options of {@link runLocalJob}. */
export interface RunLocalJobOptions {
  /** The Job manifest (YAML or JSON), or an already parsed object. */
  readonly manifest: string | object;
  /** Multiplies the pod re-creation (and OnFailure restart) back-off. Default 1. */
  readonly backoffScale?: number;
  /** Seed for pod names, UIDs and chaos. Default: random. */
  readonly seed?: number;
  /** Chaos to inject. Default none. */
  readonly chaos?: ChaosSpec;
  /** Upper bound of the delay between a pod start and the chaos action tied to it, ms. Default 1000. */
  readonly chaosMaxDelayMs?: number;
  /** Environment passed to every pod under the manifest's env. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where pod output and events go. Default: stderr, lines prefixed with `[pod-name]`. */
  readonly sink?: PodRunnerSink;
  /** spec.nodeName of the local pods. Default: the host name. */
  readonly nodeName?: string;
  /** Aborting stops every pod at once (SIGKILL) and rejects. */
  readonly signal?: AbortSignal;
  /**
   * Aborting deletes the Job as the API server does with propagation
   * Background (what the CronJob controller's Replace and history limits do):
   * no new pod is created, each running pod gets SIGTERM and its grace period,
   * then the run resolves with outcome `Deleted`.
   */
  readonly deleteSignal?: AbortSignal;
  /** Called with the Job object as created (defaults applied: uid, creationTimestamp) before any pod starts. */
  readonly onCreated?: (job: Job) => void;
  /** The clock of the Job's timestamps (creation, start, completion, conditions), ms since the epoch. Default `Date.now`; the CronJob emulator's virtual clock. */
  readonly now?: () => number;
  /**
   * Suspends and resumes the Job during the run (`spec.suspend`, as a PATCH
   * would), ms after it is created. A manifest with `suspend: true` needs
   * `resumeAtMs`: a suspended Job never ends.
   */
  readonly suspension?: Suspension;
}

/** When to set `spec.suspend` during a run, ms after the Job is created. */
export interface Suspension {
  /** Set `spec.suspend: true` (active pods are deleted, uncounted). */
  readonly suspendAtMs?: number;
  /** Set `spec.suspend: false` (the Job starts or continues). */
  readonly resumeAtMs?: number;
}

/** The outcome of {@link runLocalJob}. */
export interface LocalJobResult {
  /** The final Job object, status in the API's shape. */
  readonly job: Job;
  /**
   * Which terminal condition the Job reached; `Stalled` when it can never
   * progress (e.g. parallelism 0); `Deleted` when `deleteSignal` removed it first.
   */
  readonly outcome: 'Complete' | 'Failed' | 'Stalled' | 'Deleted';
  /** Chaos actions carried out, in order. */
  readonly chaosApplied: readonly AppliedChaos[];
  /** Chaos actions that found no running pod before the Job finished. */
  readonly chaosSkipped: number;
}

/**
 * Reads, defaults and validates a Job manifest as the API server would, and
 * (unless `runnable: false`) refuses what the emulator cannot run: no
 * command, a suspended Job. Throws {@link InvalidManifestError} with
 * Kubernetes field paths.
 *
 * @example
 * ```ts
 * const job = loadJobManifest(readFileSync('job.yaml', 'utf8'), new SeededRandom(1));
 * ```
 */
export function loadJobManifest(
  manifest: string | object,
  random: SeededRandom,
  now = new Date(),
  options: { readonly runnable?: boolean; readonly resumes?: boolean } = {},
): Job {
  let raw: unknown;
  try {
    raw = typeof manifest === 'string' ? parseManifestText(manifest) : manifest;
  } catch (err) {
    const message = (err as Error).message;
    throw new InvalidManifestError('', [invalid('<manifest>', OMIT_VALUE, message)], `error parsing the manifest: ${message}`);
  }
  const { job, errors } = readJob(raw);
  // What a cluster would accept but runs wrong (JOBKIT_COUNT vs completions, an env name set twice),
  // refused here too, not only by `jobkit run`'s lint: read as written, before defaults.
  const jobkitErrors = jobkitEnvErrors(job);
  applyJobDefaults(job, { uid: random.uuid(), now, nameSuffix: random.nameSuffix() });
  errors.push(...validateJob(job), ...jobkitErrors);
  if (errors.length === 0 && options.runnable !== false) {
    // Valid for the API server, but the emulator has no image to take an entrypoint from.
    const container = job.spec.template.spec.containers[0];
    if (container !== undefined && (container.command ?? []).length === 0) {
      errors.push(required('spec.template.spec.containers[0].command', 'jobkit run has no container image to take an entrypoint from; set command'));
    }
    if (job.spec.suspend === true && options.resumes !== true) errors.push(suspendedForeverError());
    const managedElsewhere = managedElsewhereError(job);
    if (managedElsewhere !== undefined) errors.push(managedElsewhere);
  }
  if (errors.length > 0) throw new InvalidManifestError(job.metadata.name, errors);
  return job;
}

/** The error for a Job created suspended with no resume planned: it would never end. */
export function suspendedForeverError(): FieldError {
  return invalid('spec.suspend', true, 'the Job would stay suspended and never end: resume it during the run with --resume-at <ms>');
}

/**
 * The error for a Job that names another controller in `spec.managedBy`: the
 * built-in Job controller leaves such a Job alone (no pods, no status), so
 * running it here would only wait forever.
 */
export function managedElsewhereError(job: { spec: { managedBy?: string } }): FieldError | undefined {
  const managedBy = job.spec.managedBy;
  if (managedBy === undefined || managedBy === JOB_CONTROLLER_NAME) return undefined;
  return invalid('spec.managedBy', managedBy, `the built-in Job controller leaves a Job managed by another controller alone, so jobkit run has nothing to run; remove spec.managedBy or set it to "${JOB_CONTROLLER_NAME}"`);
}

/** The default sink: pod lines and events on stderr. */
export function stderrSink(options: { quiet?: boolean } = {}): PodRunnerSink {
  return {
    podLine: (pod, line) => process.stderr.write(`[${pod.name}] ${line}\n`),
    event: (message) => {
      if (options.quiet !== true) process.stderr.write(`jobkit run: ${message}\n`);
    },
  };
}

/**
 * Runs a Job locally to its end.
 *
 * @example
 * ```ts
 * const result = await runLocalJob({ manifest: readFileSync('job.yaml', 'utf8'), backoffScale: 0.01, seed: 1 });
 * console.log(result.outcome, result.job.status?.succeeded);
 * ```
 */
export async function runLocalJob(options: RunLocalJobOptions): Promise<LocalJobResult> {
  return await runObservedLocalJob(options, undefined);
}

/**
 * {@link runLocalJob}, telling `observer` what happens as it happens (pods,
 * containers, output, chaos, conditions), for `jobkit run --timeline`. The
 * observer only watches: the run is the same with or without it.
 *
 * @example
 * ```ts
 * const recorder = new TimelineRecorder();
 * const result = await runObservedLocalJob({ manifest, backoffScale: 0.01 }, recorder);
 * ```
 */
export async function runObservedLocalJob(options: RunLocalJobOptions, observer: RunObserver | undefined): Promise<LocalJobResult> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const random = new SeededRandom(seed);
  const chaosRandom = new SeededRandom(seed ^ 0x5bd1e995);
  const now = options.now ?? Date.now;
  const suspension = options.suspension ?? {};
  const job = loadJobManifest(options.manifest, random, new Date(now()), { resumes: suspension.resumeAtMs !== undefined });
  options.onCreated?.(structuredClone(job));
  const sink = options.sink ?? stderrSink();
  const podSpec = job.spec.template.spec;
  if (podSpec.containers.length > 1) sink.event(`only the first container (${podSpec.containers[0]!.name}) runs; ${podSpec.containers.length - 1} other(s) ignored`);
  if ((podSpec.initContainers ?? []).length > 0) sink.event('initContainers are not run locally');
  const backoffScale = options.backoffScale ?? 1;
  const timers = new RunTimers();
  const later = timers.later;

  const wakeups = new Set<number>();
  let syncScheduled = false;
  let done = false;
  let resolveRun!: (r: LocalJobResult) => void;
  let rejectRun!: (e: unknown) => void;
  const finished = new Promise<LocalJobResult>((res, rej) => {
    resolveRun = res;
    rejectRun = rej;
  });

  const requestSync = (): void => {
    if (syncScheduled || done) return;
    syncScheduled = true;
    setImmediate(runSync);
  };

  const controller: JobController = new JobController({
    job,
    podControl: {
      startPod: (p) => {
        observer?.podCreated(p, now(), 'controller');
        runner.startPod(p);
      },
      deletePod: (p) => runner.deletePod(p),
    },
    random,
    now,
    requeueAfter: (ms) => {
      // The deadline requeue repeats on every sync: one timer per moment is enough.
      const due = Math.ceil(now() + ms);
      if (wakeups.has(due)) return;
      wakeups.add(due);
      later(ms, () => {
        wakeups.delete(due);
        requestSync();
      });
    },
    backoffScale,
  });

  const setSuspended = (suspended: boolean): void => {
    if (done || controller.isFinished) return;
    sink.event(suspended ? 'suspending the Job (spec.suspend: true): its active pods are deleted, uncounted' : 'resuming the Job (spec.suspend: false)');
    controller.setSuspended(suspended);
    requestSync();
  };
  if (suspension.suspendAtMs !== undefined) later(suspension.suspendAtMs, () => setSuspended(true));
  if (suspension.resumeAtMs !== undefined) later(suspension.resumeAtMs, () => setSuspended(false));

  const chaosMaxDelayMs = options.chaosMaxDelayMs ?? 1000;
  // Duplicates run unseen by the controller (a pod on a partitioned node) until
  // they have worked a while, so the two really race on the same index.
  const hiddenDuplicates = new Set<LocalPod>();
  const reveal = (dup: LocalPod): void => {
    if (!hiddenDuplicates.delete(dup) || controller.isFinished) return;
    controller.pods.push(dup);
    requestSync();
  };
  const chaos = new ChaosEngine({
    // Delays count from the pod's first line: the program is up and working by then.
    plan: planJobChaos(options.chaos ?? NO_CHAOS, chaosRandom, job.spec, chaosMaxDelayMs),
    // A silent program (a shell script, a binary without logs) is armed when the old spawn-based window ends.
    armSilentAfterMs: chaosMaxDelayMs,
    random: chaosRandom,
    later,
    isDone: () => done || controller.isFinished,
    runningPods: () => runner.runningPods().filter((p) => p.deletionTime === undefined),
    hooks: {
      preempt: (pod) => {
        observer?.chaosStruck('preempt', pod, now());
        pod.conditions.push({
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'EvictionByEvictionAPI',
          message: 'Eviction API: evicting',
          lastTransitionTime: now(),
        });
        sink.event(`chaos: preempting pod ${pod.name} (DisruptionTarget, EvictionByEvictionAPI)`);
        runner.deletePod(pod);
        requestSync();
      },
      kill: (pod) => {
        observer?.chaosStruck('kill', pod, now());
        runner.killPod(pod);
      },
      duplicate: (pod) => {
        const dup = controller.newPod(now(), pod.index);
        Object.assign(dup.annotations, pod.annotations);
        observer?.chaosStruck('duplicate', pod, now());
        observer?.podCreated(dup, now(), 'duplicate');
        sink.event(`chaos: starting duplicate pod ${dup.name} for ${pod.index === undefined ? 'pod' : `index ${pod.index} of pod`} ${pod.name}`);
        hiddenDuplicates.add(dup);
        runner.startPod(dup);
        // Seen at the latest after a long silence; usually once it has worked (onDuplicateWorking), or when it exits (runSync).
        later(DUPLICATE_HIDDEN_MAX_MS, () => reveal(dup));
        return dup;
      },
    },
  });
  chaos.onDuplicateWorking = (dup) => later(Math.max(DUPLICATE_RACE_MS, 2 * chaosMaxDelayMs), () => reveal(dup));
  const podSink: PodRunnerSink = {
    podLine: (pod, line) => {
      chaos.podLine(pod);
      observer?.podLine(pod, line, now());
      sink.podLine(pod, line);
    },
    event: (message) => sink.event(message),
  };

  const runner: PodRunner = new PodRunner({
    job,
    baseEnv: options.env ?? process.env,
    placement: { nodeName: options.nodeName ?? hostname(), hostIP: '127.0.0.1', podIP: '127.0.0.1', serviceAccountName: 'default' },
    sink: podSink,
    now,
    onChange: requestSync,
    backoffScale,
    onStarted: (pod) => {
      observer?.containerStarted(pod, now());
      chaos.podStarted(pod);
    },
    onExited: (pod) => observer?.containerExited(pod, now()),
    onFinished: (pod) => observer?.podFinished(pod, now()),
  });

  const finish = (outcome: LocalJobResult['outcome']): void => {
    done = true;
    timers.clear();
    for (const line of describeChaos(chaos.applied, chaos.pendingCount)) sink.event(line);
    resolveRun({
      job: { ...job, status: controller.status() },
      outcome,
      chaosApplied: chaos.applied,
      chaosSkipped: chaos.pendingCount,
    });
  };

  let deleting = false;
  function runSync(): void {
    syncScheduled = false;
    if (done) return;
    if (deleting) {
      if (runner.liveCount === 0) {
        sink.event(`job ${job.metadata.name}: deleted`);
        finish('Deleted');
      }
      return;
    }
    // A duplicate that ended is seen by the controller, like any finished pod.
    for (const dup of hiddenDuplicates) if (dup.container.terminated !== undefined) reveal(dup);
    try {
      controller.sync();
      observer?.synced(controller.timedConditions, now());
    } catch (err) {
      runner.shutdown();
      done = true;
      rejectRun(err);
      return;
    }
    const terminal = controller.finishedCondition;
    if (terminal !== undefined) {
      // Pods the controller never saw (duplicates) are stopped too.
      for (const pod of runner.runningPods()) runner.deletePod(pod);
      if (runner.liveCount === 0) {
        sink.event(`job ${job.metadata.name}: ${terminal.type}${terminal.reason === undefined ? '' : ` (${terminal.reason})`}`);
        finish(terminal.type === 'Complete' ? 'Complete' : 'Failed');
      }
      return;
    }
    if (runner.liveCount === 0 && timers.size === 0) {
      sink.event(`job ${job.metadata.name}: stalled, no pod can be created (parallelism ${job.spec.parallelism ?? 1})`);
      finish('Stalled');
    }
  }

  const onAbort = (): void => {
    runner.shutdown();
    done = true;
    timers.clear();
    rejectRun(options.signal?.reason ?? new Error('aborted'));
  };
  const onDelete = (): void => {
    if (done || deleting) return;
    deleting = true;
    // Hidden duplicates too: the garbage collector deletes every pod the Job owns.
    for (const pod of runner.runningPods()) runner.deletePod(pod);
    requestSync();
  };
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.deleteSignal?.aborted === true) onDelete();
  options.deleteSignal?.addEventListener('abort', onDelete, { once: true });
  requestSync();
  try {
    return await finished;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    options.deleteSignal?.removeEventListener('abort', onDelete);
  }
}

/** How long at least a working duplicate runs unseen by the controller, racing the original. */
const DUPLICATE_RACE_MS = 2_000;
/** The longest a duplicate stays unseen, working or not. */
const DUPLICATE_HIDDEN_MAX_MS = 30_000;
