/**
 * `jobkit run -f cronjob.yaml`: a local CronJob controller. Runs the
 * controller's sync on a real or virtual clock and creates each Job through
 * the Job emulator (runLocalJob), so every Job runs real pods with the Job
 * controller's semantics. On the virtual clock the time between runs is
 * skipped: while no Job is active the clock jumps to the next moment the
 * controller would look; while a Job runs, time passes as it really does.
 */
import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import type { ChaosSpec } from '../chaos.ts';
import { runLocalJob, stderrSink } from '../emulator.ts';
import { InvalidManifestError } from '../errors.ts';
import type { PodRunnerSink } from '../pod-runner.ts';
import { SeededRandom } from '../rng.ts';
import type { Job } from '../types.ts';
import { CronJobController, type CronJobCluster } from './controller.ts';
import { manualJobFromCronJob, type OwnedJob } from './job-from-template.ts';
import { loadCronJobManifest, patchCronJob } from './read-cronjob.ts';
import type { CronJob, CronJobEvent } from './types.ts';

/** A change applied to the CronJob at a moment of the emulator's clock, as `kubectl patch --type=merge` would. */
export interface CronJobPatch {
  readonly at: Date;
  /** A JSON merge patch, e.g. `{ spec: { suspend: true } }`. */
  readonly patch: object;
}

/** A manual run (`kubectl create job NAME --from=cronjob/x`) at a moment of the emulator's clock. */
export interface ManualRun {
  readonly at: Date;
  readonly name: string;
}

/** Options of {@link runLocalCronJob}. */
export interface RunLocalCronJobOptions {
  /** The CronJob manifest (YAML or JSON), or an already parsed object. */
  readonly manifest: string | object;
  /** `real` (default): the schedule runs on the wall clock. `virtual`: from `from`, skipping the time between runs. */
  readonly clock?: 'real' | 'virtual';
  /** Where the clock starts: the CronJob's creationTimestamp. Default now; only with the virtual clock. */
  readonly from?: Date;
  /** No Job is created at or after this moment; the run ends when the Jobs created before it have finished. */
  readonly until?: Date;
  /** The run ends once this many Jobs have been created by the schedule and have finished. */
  readonly runs?: number;
  /** Edits of the CronJob over time (suspend, resume, a new schedule). */
  readonly patches?: readonly CronJobPatch[];
  /** Manual runs over time. */
  readonly manualRuns?: readonly ManualRun[];
  /** The controller's own zone, for schedules without timeZone. Default the process's zone (TZ). */
  readonly localTimeZone?: string;
  /** Seed for UIDs, pod names and chaos; each Job's seed derives from it and the Job's name. Default random. */
  readonly seed?: number;
  /** Chaos injected into every Job. */
  readonly chaos?: ChaosSpec;
  /** See RunLocalJobOptions. */
  readonly chaosMaxDelayMs?: number;
  /** Multiplies the pods' back-off. Default 1. */
  readonly backoffScale?: number;
  /** Environment passed to every pod under the manifest's env. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where pod output and events go. Default stderr. */
  readonly sink?: PodRunnerSink;
  /** spec.nodeName of the local pods. Default the host name. */
  readonly nodeName?: string;
  /** Aborting kills every pod (SIGKILL) and rejects. */
  readonly signal?: AbortSignal;
}

/** How one created Job ended. */
export interface CronJobRunOutcome {
  readonly name: string;
  readonly trigger: 'schedule' | 'manual';
  readonly outcome: 'Complete' | 'Failed' | 'Stalled' | 'Deleted';
}

/** The outcome of {@link runLocalCronJob}. */
export interface LocalCronJobResult {
  /** The CronJob with its final status. */
  readonly cronJob: CronJob;
  /** Every Job created, in creation order, with its final status; those the controller deleted carry `metadata.deletionTimestamp`. */
  readonly jobs: readonly Job[];
  readonly outcomes: readonly CronJobRunOutcome[];
  /** The controller's events, in order. */
  readonly events: readonly CronJobEvent[];
  /** `Complete` when every created Job completed (also when none was created). */
  readonly outcome: 'Complete' | 'Failed';
}

interface ClusterEntry {
  job: Job;
  readonly trigger: 'schedule' | 'manual';
  deleted: boolean;
  running: boolean;
  outcome: CronJobRunOutcome['outcome'] | undefined;
  readonly deleteController: AbortController;
  readonly killController: AbortController;
}

function jobSeed(seed: number, name: string): number {
  return createHash('sha256').update(`${seed}/${name}`).digest().readUInt32BE(0);
}

/** The process's own zone: what the controller's `time.Local` would be on this machine. */
export function processTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * Runs a CronJob locally with the CronJob controller's semantics.
 *
 * @example
 * ```ts
 * const result = await runLocalCronJob({
 *   manifest: readFileSync('cronjob.yaml', 'utf8'),
 *   clock: 'virtual', from: new Date('2026-01-01T00:00:00Z'), runs: 3,
 * });
 * console.log(result.jobs.map((j) => j.metadata.name), result.cronJob.status);
 * ```
 */
export async function runLocalCronJob(options: RunLocalCronJobOptions): Promise<LocalCronJobResult> {
  const virtual = options.clock === 'virtual';
  if (!virtual && options.from !== undefined) throw new InvalidManifestError('', [], '--from needs the virtual clock (--clock virtual)', 'CronJob');
  if (virtual && options.until === undefined && options.runs === undefined) {
    throw new InvalidManifestError('', [], 'the virtual clock needs an end: --until or --runs', 'CronJob');
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const random = new SeededRandom(seed);
  const sink = options.sink ?? stderrSink();
  let offset = virtual && options.from !== undefined ? options.from.getTime() - Date.now() : 0;
  const now = (): number => Date.now() + offset;
  const stamp = (ms: number): string => new Date(ms).toISOString();

  const initial = loadCronJobManifest(options.manifest, { random, now: new Date(now()) });
  const name = initial.metadata.name;
  const events: CronJobEvent[] = [];
  const record = (e: Omit<CronJobEvent, 'time'>): void => {
    const event = { time: stamp(now()), ...e };
    events.push(event);
    sink.event(`${virtual ? `[${event.time}] ` : ''}cronjob/${name}: ${e.type} ${e.reason}: ${e.message}`);
  };

  const entries = new Map<string, ClusterEntry>();
  const order: ClusterEntry[] = [];
  let wake: (() => void) | undefined;
  let changed = true;
  const notify = (): void => {
    changed = true;
    wake?.();
  };
  let failure: Error | undefined;

  const startJob = (manifest: OwnedJob, trigger: ClusterEntry['trigger']): { created: Job } | { failed: string } => {
    let created: Job | undefined;
    const deleteController = new AbortController();
    const killController = new AbortController();
    const run = runLocalJob({
      manifest,
      now,
      seed: jobSeed(seed, manifest.metadata.name),
      deleteSignal: deleteController.signal,
      signal: killController.signal,
      onCreated: (job) => (created = job),
      sink,
      ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
      ...(options.chaosMaxDelayMs === undefined ? {} : { chaosMaxDelayMs: options.chaosMaxDelayMs }),
      ...(options.backoffScale === undefined ? {} : { backoffScale: options.backoffScale }),
      ...(options.env === undefined ? {} : { env: options.env }),
      nodeName: options.nodeName ?? hostname(),
    });
    if (created === undefined) {
      // Rejected before creation: the template was checked at load, so this is an API-level refusal.
      let message = 'the Job could not be created';
      run.catch((err: unknown) => (message = (err as Error).message));
      return { failed: message };
    }
    const entry: ClusterEntry = { job: created, trigger, deleted: false, running: true, outcome: undefined, deleteController, killController };
    entries.set(created.metadata.name, entry);
    order.push(entry);
    run.then(
      (result) => {
        entry.job = { ...result.job, metadata: { ...result.job.metadata, ...pickDeletion(entry.job) } };
        entry.outcome = result.outcome;
        entry.running = false;
        notify();
      },
      (err: unknown) => {
        entry.running = false;
        failure ??= err instanceof Error ? err : new Error(String(err));
        notify();
      },
    );
    return { created };
  };

  const cluster: CronJobCluster = {
    listJobs: () => order.filter((e) => !e.deleted).map((e) => e.job),
    getJob: (jobName) => {
      const entry = entries.get(jobName);
      return entry === undefined || entry.deleted ? undefined : entry.job;
    },
    createJob: (job) => {
      const existing = entries.get(job.metadata.name);
      if (existing !== undefined && !existing.deleted) return { exists: existing.job };
      return startJob(job, 'schedule');
    },
    deleteJob: (jobName) => {
      const entry = entries.get(jobName);
      if (entry === undefined || entry.deleted) return;
      entry.deleted = true;
      entry.job = { ...entry.job, metadata: { ...entry.job.metadata, deletionTimestamp: stamp(now()).replace(/\.\d{3}Z$/, 'Z') } };
      entries.delete(jobName);
      entry.deleteController.abort();
    },
  };
  const controller = new CronJobController(initial, { cluster, event: record, localTimeZone: options.localTimeZone ?? processTimeZone() });

  const patches = [...(options.patches ?? [])].sort((a, b) => a.at.getTime() - b.at.getTime());
  const manualRuns = [...(options.manualRuns ?? [])].sort((a, b) => a.at.getTime() - b.at.getTime());
  const until = options.until?.getTime();
  const runs = options.runs;
  let scheduledCount = 0;
  let syncAt: number | undefined = now();
  let timer: NodeJS.Timeout | undefined;

  const onAbort = (): void => notify();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (options.signal?.aborted === true) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
      if (failure !== undefined) throw failure;
      const t = now();
      while (patches.length > 0 && patches[0]!.at.getTime() <= t) {
        const { patch } = patches.shift()!;
        controller.update(patchCronJob(controller.cronJob, patch, random));
        sink.event(`${virtual ? `[${stamp(t)}] ` : ''}cronjob/${name}: patched ${JSON.stringify(patch)}`);
        changed = true;
      }
      while (manualRuns.length > 0 && manualRuns[0]!.at.getTime() <= t) {
        const run = manualRuns.shift()!;
        const existing = entries.get(run.name);
        if (existing !== undefined) sink.event(`cronjob/${name}: manual run ${run.name}: jobs.batch "${run.name}" already exists`);
        else startJob(manualJobFromCronJob(controller.cronJob, run.name), 'manual');
        changed = true;
      }
      const scheduling = !(runs !== undefined && scheduledCount >= runs) && !(until !== undefined && t >= until);
      if (changed || (syncAt !== undefined && t >= syncAt)) {
        changed = false;
        const before = order.length;
        const result = controller.sync(t, { schedule: scheduling });
        scheduledCount += order.slice(before).filter((e) => e.trigger === 'schedule').length;
        syncAt = result.requeueAfterMs === undefined ? undefined : t + result.requeueAfterMs;
        continue;
      }
      const active = order.some((e) => e.running);
      const nextAction = Math.min(patches[0]?.at.getTime() ?? Infinity, manualRuns[0]?.at.getTime() ?? Infinity);
      const target = Math.min(scheduling ? (syncAt ?? Infinity) : Infinity, nextAction, scheduling && until !== undefined ? until : Infinity);
      if (!active) {
        if (!scheduling && nextAction === Infinity) break;
        if (target === Infinity) {
          sink.event(`cronjob/${name}: ${controller.cronJob.spec.suspend ? 'suspended' : 'the schedule has no further time'}; nothing more will run`);
          break;
        }
        if (virtual) {
          offset += Math.max(0, target - t);
          continue;
        }
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (target !== Infinity) timer = setTimeout(resolve, Math.max(0, target - t));
      });
      wake = undefined;
      if (timer !== undefined) clearTimeout(timer);
    }
  } catch (err) {
    for (const entry of order) entry.killController.abort(err);
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }

  const outcomes: CronJobRunOutcome[] = order.map((e) => ({ name: e.job.metadata.name, trigger: e.trigger, outcome: e.outcome ?? 'Deleted' }));
  return {
    cronJob: controller.cronJob,
    jobs: order.map((e) => e.job),
    outcomes,
    events,
    outcome: outcomes.every((o) => o.outcome === 'Complete') ? 'Complete' : 'Failed',
  };
}

function pickDeletion(job: Job): { deletionTimestamp?: unknown } {
  return job.metadata['deletionTimestamp'] === undefined ? {} : { deletionTimestamp: job.metadata['deletionTimestamp'] };
}
