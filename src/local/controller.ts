/**
 * The Job controller's sync loop (pkg/controller/job/job_controller.go,
 * syncJob / manageJob / trackJobStatusAndRemoveFinalizers), over in-memory
 * pods. It decides; a {@link PodControl} (the local kubelet, or a fake in unit
 * tests) carries pods out. Every sync is synchronous and atomic, so the status
 * is never observed half-updated and `uncountedTerminatedPods` stays empty (`{}`).
 */
import {
  DEFAULT_POD_FAILURE_BACKOFF_MS,
  MAX_POD_FAILURE_BACKOFF_MS,
  type BackoffRecord,
  nextBackoffRecord,
  remainingBackoffMs,
} from './backoff.ts';
import { IndexSet } from './intervals.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import {
  type LocalPod,
  compareForDeletion,
  completionIndexOf,
  finishedTimeOf,
  indexAbsoluteFailureCount,
  indexFailureCount,
  isActive,
  isFinished,
  isTerminating,
} from './pod.ts';
import type { SeededRandom } from './rng.ts';
import { matchSuccessPolicy } from './success-policy.ts';
import type { Job, JobCondition, JobStatus } from './types.ts';
import { JOB_LABELS, formatTime } from './validate.ts';

/** Creates and deletes pods for the controller. */
export interface PodControl {
  /** Start a pod the controller has just added to the store. */
  startPod(pod: LocalPod): void;
  /** Delete a pod gracefully (sets its deletion time; the process gets SIGTERM, then SIGKILL). */
  deletePod(pod: LocalPod): void;
}

/** Dependencies of the controller. */
export interface JobControllerOptions {
  /** A defaulted, validated Job. */
  readonly job: Job;
  readonly podControl: PodControl;
  readonly random: SeededRandom;
  /** Epoch ms. */
  readonly now: () => number;
  /** Ask for another sync after a delay (back-off expiry, activeDeadlineSeconds). */
  readonly requeueAfter: (delayMs: number) => void;
  /** Multiplies the re-creation back-off (default 1). */
  readonly backoffScale?: number;
}

/** An interim or terminal condition, before it is written. */
interface PendingCondition {
  readonly type: JobCondition['type'];
  readonly reason: string;
  readonly message: string;
}

/** The API server cuts a generateName to this many characters before adding 5 random ones. */
const MAX_GENERATED_NAME_LENGTH = 58;

/**
 * The generateName of a Job's pods, as the controller and the API server form
 * it: `<job>-` or `<job>-<index>-`, cut to 58 characters; an Indexed Job's cut
 * keeps its `-<index>-` (podGenerateNameWithIndex upstream).
 */
export function generateNamePrefix(jobName: string, index: number | undefined): string {
  if (index === undefined) return `${jobName}-`.slice(0, MAX_GENERATED_NAME_LENGTH);
  const appendIndex = `-${index}-`;
  const prefix = `${jobName}${appendIndex}`;
  return prefix.length > MAX_GENERATED_NAME_LENGTH ? `${prefix.slice(0, MAX_GENERATED_NAME_LENGTH - appendIndex.length)}${appendIndex}` : prefix;
}

/**
 * The emulated Job controller for one Job.
 *
 * @example
 * ```ts
 * const controller = new JobController({ job, podControl, random, now: Date.now, requeueAfter });
 * controller.sync(); // creates the first pods
 * ```
 */
export class JobController {
  readonly job: Job;
  /** Every pod of the Job still in the store, in creation order. */
  readonly pods: LocalPod[] = [];
  private readonly podControl: PodControl;
  private readonly random: SeededRandom;
  private readonly now: () => number;
  private readonly requeueAfter: (delayMs: number) => void;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;

  private conditions: Array<JobCondition & { readonly at: number }> = [];
  private startTime: number | undefined;
  private completionTime: number | undefined;
  private active = 0;
  private ready = 0;
  private terminating = 0;
  private succeeded = 0;
  private failed = 0;
  private completedIndexes = IndexSet.empty;
  private failedIndexes: IndexSet | undefined;
  private backoff: BackoffRecord = { failuresAfterLastSuccess: 0 };
  private readonly deletedThisSync = new Set<LocalPod>();

  constructor(options: JobControllerOptions) {
    this.job = options.job;
    this.podControl = options.podControl;
    this.random = options.random;
    this.now = options.now;
    this.requeueAfter = options.requeueAfter;
    const scale = options.backoffScale ?? 1;
    this.backoffBaseMs = DEFAULT_POD_FAILURE_BACKOFF_MS * scale;
    this.backoffMaxMs = MAX_POD_FAILURE_BACKOFF_MS * scale;
    if (this.perIndex) this.failedIndexes = IndexSet.empty;
  }

  private get indexed(): boolean {
    return this.job.spec.completionMode === 'Indexed';
  }

  private get perIndex(): boolean {
    return this.indexed && this.job.spec.backoffLimitPerIndex !== undefined;
  }

  private get completions(): number | undefined {
    return this.job.spec.completions;
  }

  /** podReplacementPolicy Failed (explicit, or implied by a podFailurePolicy). */
  private get onlyReplaceFailedPods(): boolean {
    return this.job.spec.podReplacementPolicy === 'Failed' || this.job.spec.podFailurePolicy !== undefined;
  }

  /** The terminal condition (Complete or Failed), once written. */
  get finishedCondition(): JobCondition | undefined {
    return this.conditions.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  }

  /** The conditions as written, each with its transition moment in ms (for observers: `status()` has only seconds). */
  get timedConditions(): ReadonlyArray<JobCondition & { readonly at: number }> {
    return this.conditions;
  }

  /** Whether the Job has a terminal condition. */
  get isFinished(): boolean {
    return this.finishedCondition !== undefined;
  }

  private validIndex(pod: LocalPod): boolean {
    if (!this.indexed) return true;
    const ix = completionIndexOf(pod);
    return ix >= 0 && ix < (this.completions ?? 0);
  }

  private isPodFailed(pod: LocalPod): boolean {
    if (pod.phase === 'Failed') return true;
    if (this.onlyReplaceFailedPods) return false;
    // Within one sync the controller works on the pods as it listed them: a
    // deletion it issued itself is not seen until the next sync.
    if (this.deletedThisSync.has(pod)) return false;
    // Deleted pods count as failed at once: they may never reach a phase.
    return pod.deletionTime !== undefined && pod.phase !== 'Succeeded';
  }

  private isIndexFailed(pod: LocalPod): boolean {
    let counted = false;
    if (this.isPodFailed(pod)) {
      if (this.job.spec.podFailurePolicy !== undefined) {
        const m = matchPodFailurePolicy(this.job.spec.podFailurePolicy, pod);
        if (m.action === 'FailIndex') return true;
        counted = m.countFailed;
      } else counted = true;
    }
    return counted && indexFailureCount(pod) >= (this.job.spec.backoffLimitPerIndex ?? 0);
  }

  private condition(type: JobCondition['type'], reason: string, message: string): PendingCondition {
    return { type, reason, message };
  }

  /** Sets a condition (ensureJobConditionStatus upstream); returns whether it changed. A False condition is never added, only updated. */
  private writeCondition(c: PendingCondition, now: number, status: 'True' | 'False' = 'True'): boolean {
    const existing = this.conditions.findIndex((x) => x.type === c.type);
    const stamp = formatTime(now);
    const written = { type: c.type, status, reason: c.reason, message: c.message, lastProbeTime: stamp, lastTransitionTime: stamp, at: now };
    if (existing === -1) {
      if (status === 'False') return false;
      this.conditions.push(written);
      return true;
    }
    const old = this.conditions[existing]!;
    if (old.status === status && old.reason === c.reason && old.message === c.message) return false;
    this.conditions[existing] = written;
    return true;
  }

  private findCondition(type: JobCondition['type']): (JobCondition & { at: number }) | undefined {
    return this.conditions.find((c) => c.type === type && c.status === 'True');
  }

  /** One pass of the controller over the Job and its pods. */
  sync(): void {
    if (this.isFinished) return;
    const now = this.now();
    const spec = this.job.spec;
    const pods = this.pods;
    const activePods = pods.filter(isActive);
    let terminating = pods.filter(isTerminating).length;

    const uncounted = pods.filter((p) => p.trackingFinalizer && this.validIndex(p));
    const newSucceeded = uncounted.filter((p) => p.phase === 'Succeeded');
    const newFailed = uncounted.filter((p) => this.isPodFailed(p));
    let succeeded = this.succeeded + newSucceeded.length;
    const failed = this.failed + newFailed.filter((p) => matchPodFailurePolicy(spec.podFailurePolicy, p).countFailed).length;

    if (this.startTime === undefined && spec.suspend !== true) this.startTime = now;
    const newBackoff = nextBackoffRecord(this.backoff, newSucceeded, newFailed);

    let finished: PendingCondition | undefined;
    const successMet = this.findCondition('SuccessCriteriaMet');
    if (successMet !== undefined) finished = this.condition('SuccessCriteriaMet', successMet.reason ?? '', successMet.message ?? '');
    if (finished === undefined) {
      const failureTarget = this.findCondition('FailureTarget');
      if (failureTarget !== undefined) finished = this.condition('Failed', failureTarget.reason ?? '', failureTarget.message ?? '');
      else {
        const message = this.failJobMessage();
        if (message !== undefined) finished = this.condition('FailureTarget', 'PodFailurePolicy', message);
      }
    }
    if (finished === undefined) {
      if (failed > (spec.backoffLimit ?? 6) || this.pastBackoffLimitOnFailure()) {
        finished = this.condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      } else if (this.pastActiveDeadline(now)) {
        finished = this.condition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline');
      } else if (spec.activeDeadlineSeconds !== undefined && this.startTime !== undefined) {
        this.requeueAfter(Math.max(0, this.startTime + spec.activeDeadlineSeconds * 1000 - now));
      }
    }

    const prevSucceededIndexes = this.completedIndexes;
    let succeededIndexes = prevSucceededIndexes;
    let failedIndexes = this.failedIndexes;
    let delayedDeletion = new Map<number, LocalPod>();
    if (this.indexed) {
      const completions = this.completions ?? 0;
      succeededIndexes = prevSucceededIndexes.with(
        pods.filter((p) => p.phase === 'Succeeded' && p.trackingFinalizer && this.validIndex(p)).map(completionIndexOf),
      );
      succeeded = succeededIndexes.total;
      if (this.perIndex) {
        failedIndexes = (this.failedIndexes ?? IndexSet.empty).with(
          pods.filter((p) => p.trackingFinalizer && this.validIndex(p) && this.isIndexFailed(p)).map(completionIndexOf),
        );
        if (finished === undefined) {
          if (spec.maxFailedIndexes !== undefined && failedIndexes.total > spec.maxFailedIndexes) {
            finished = this.condition('FailureTarget', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes');
          } else if (failedIndexes.total > 0 && failedIndexes.total + succeededIndexes.total >= completions) {
            finished = this.condition('FailureTarget', 'FailedIndexes', 'Job has failed indexes');
          }
        }
        delayedDeletion = this.podsWithDelayedDeletion(activePods, succeededIndexes, failedIndexes);
      }
      if (finished === undefined) {
        const message = matchSuccessPolicy(spec.successPolicy, completions, succeededIndexes);
        if (message !== undefined) finished = this.condition('SuccessCriteriaMet', 'SuccessPolicy', message);
      }
    }

    let active: number;
    let ready = activePods.filter((p) => p.ready).length;
    if (finished !== undefined) {
      // Keep finalizers: the tracking pass below counts these pods.
      for (const pod of activePods) this.deletePod(pod);
      terminating += activePods.length;
      ready = 0;
      active = 0;
    } else {
      const managed = this.manageJob(now, activePods, succeeded, terminating, succeededIndexes, failedIndexes, newBackoff, delayedDeletion);
      active = managed.active;
      terminating = managed.terminating;
      ready -= managed.removedReady;
      const complete = this.completions === undefined ? succeeded > 0 && active === 0 : succeeded >= this.completions && active === 0;
      if (complete) finished = this.condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
      else this.trackSuspension(now);
    }
    this.active = active;
    this.ready = ready;
    this.terminating = terminating;
    this.backoff = newBackoff;
    this.trackStatus(now, finished, prevSucceededIndexes, succeededIndexes, failedIndexes, delayedDeletion, terminating);
    this.deletedThisSync.clear();
    this.collectGarbage();
  }

  private deletePod(pod: LocalPod): void {
    this.deletedThisSync.add(pod);
    this.podControl.deletePod(pod);
  }

  private trackStatus(
    now: number,
    finishedIn: PendingCondition | undefined,
    prevSucceededIndexes: IndexSet,
    succeededIndexesIn: IndexSet,
    failedIndexes: IndexSet | undefined,
    delayedDeletion: Map<number, LocalPod>,
    terminating: number,
  ): void {
    let finished = finishedIn;
    const pods = this.indexed ? [...this.pods].sort((a, b) => completionIndexOf(a) - completionIndexOf(b)) : this.pods;
    const newSucceededIndexes: number[] = [];
    for (const pod of pods) {
      if (!pod.trackingFinalizer) continue;
      const considerFailed = this.isPodFailed(pod);
      if (!this.canRemoveFinalizer(pod, considerFailed, finished, delayedDeletion)) continue;
      pod.trackingFinalizer = false;
      if (pod.phase === 'Succeeded') {
        if (this.indexed) {
          const ix = completionIndexOf(pod);
          if (this.validIndex(pod) && !prevSucceededIndexes.has(ix)) newSucceededIndexes.push(ix);
        } else this.succeeded++;
      } else if (considerFailed || (finished !== undefined && finished.type !== 'SuccessCriteriaMet')) {
        // Once the Job is finishing, every pod that has not finished counts as failed.
        if (this.validIndex(pod) && matchPodFailurePolicy(this.job.spec.podFailurePolicy, pod).countFailed) this.failed++;
      }
    }
    if (this.indexed) {
      this.completedIndexes = succeededIndexesIn.with(newSucceededIndexes);
      this.succeeded = this.completedIndexes.total;
      this.failedIndexes = failedIndexes;
    }
    if (finished?.type === 'FailureTarget') {
      this.writeCondition(finished, now);
      finished = this.condition('Failed', finished.reason, finished.message);
    }
    if (finished?.type === 'SuccessCriteriaMet') {
      if (this.findCondition('SuccessCriteriaMet') === undefined) this.writeCondition(finished, now);
      finished = this.condition('Complete', finished.reason, finished.message);
    }
    // The terminal condition waits until every pod is gone.
    if (finished !== undefined && terminating === 0) {
      this.writeCondition(finished, now);
      if (finished.type === 'Complete') this.completionTime = now;
    }
  }

  private canRemoveFinalizer(pod: LocalPod, considerFailed: boolean, finished: PendingCondition | undefined, delayed: Map<number, LocalPod>): boolean {
    if (finished !== undefined || pod.phase === 'Succeeded') return true;
    if (!considerFailed) return false;
    // A failed pod waits for its replacement, which inherits its failure count.
    if (this.perIndex && delayed.get(completionIndexOf(pod)) === pod) return false;
    return true;
  }

  private manageJob(
    now: number,
    activePods: LocalPod[],
    succeeded: number,
    terminatingIn: number,
    succeededIndexes: IndexSet,
    failedIndexes: IndexSet | undefined,
    backoff: BackoffRecord,
    delayedDeletion: Map<number, LocalPod>,
  ): { active: number; terminating: number; removedReady: number } {
    let active = activePods.length;
    const terminating = terminatingIn;
    const spec = this.job.spec;
    const parallelism = spec.parallelism ?? 1;
    // Suspended: every active pod goes, released uncounted (neither a success nor a failure).
    if (spec.suspend === true) return this.releasePods(this.activePodsForRemoval(activePods, active), active, terminating);

    let wantActive: number;
    if (this.completions === undefined) wantActive = succeeded > 0 ? active : parallelism;
    else wantActive = Math.max(0, Math.min(this.completions - succeeded, parallelism));

    const toDelete = this.activePodsForRemoval(activePods, Math.max(0, active - wantActive));
    // Surplus pods are released uncounted too.
    if (toDelete.length > 0) return this.releasePods(toDelete, active, terminating);

    let diff = wantActive - (this.onlyReplaceFailedPods ? terminating : 0) - active;
    if (diff <= 0) return { active, terminating, removedReady: 0 };
    if (!this.perIndex) {
      const remaining = remainingBackoffMs(backoff.failuresAfterLastSuccess, backoff.lastFailureTime, now, this.backoffBaseMs, this.backoffMaxMs);
      if (remaining > 0) {
        this.requeueAfter(remaining);
        return { active, terminating, removedReady: 0 };
      }
    }
    let indexes: Array<number | undefined> = Array.from({ length: diff }, () => undefined);
    if (this.indexed) {
      let pending = this.firstPendingIndexes(activePods, succeededIndexes, failedIndexes, diff);
      if (this.perIndex) {
        const now2 = now;
        const ready: number[] = [];
        let minRemaining: number | undefined;
        for (const ix of pending) {
          const last = delayedDeletion.get(ix);
          const remaining =
            last === undefined ? 0 : remainingBackoffMs(indexAbsoluteFailureCount(last) + 1, finishedTimeOf(last), now2, this.backoffBaseMs, this.backoffMaxMs);
          if (remaining === 0) ready.push(ix);
          else if (minRemaining === undefined || remaining < minRemaining) minRemaining = remaining;
        }
        if (ready.length === 0 && minRemaining !== undefined) {
          this.requeueAfter(minRemaining);
          return { active, terminating, removedReady: 0 };
        }
        pending = ready;
      }
      indexes = pending;
      diff = pending.length;
    }
    for (const ix of indexes) {
      const pod = this.newPod(now, ix, ix === undefined ? undefined : delayedDeletion.get(ix));
      this.pods.push(pod);
      this.podControl.startPod(pod);
    }
    active += diff;
    return { active, terminating, removedReady: 0 };
  }

  /**
   * Builds a pod from the template: generated name, labels, completion-index
   * annotation/label, hostname, per-index failure counts.
   */
  newPod(now: number, index: number | undefined, replacing?: LocalPod): LocalPod {
    const jobName = this.job.metadata.name;
    const template = this.job.spec.template;
    const suffix = this.random.nameSuffix();
    const name = `${generateNamePrefix(jobName, index)}${suffix}`;
    const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}) };
    const annotations: Record<string, string> = { ...(template.metadata?.annotations ?? {}) };
    if (index !== undefined) {
      annotations[JOB_LABELS.completionIndex] = String(index);
      labels[JOB_LABELS.completionIndex] = String(index);
      if (this.perIndex) {
        let failures = 0;
        let ignored = 0;
        if (replacing !== undefined) {
          failures = indexFailureCount(replacing);
          ignored = indexAbsoluteFailureCount(replacing) - failures;
          if (matchPodFailurePolicy(this.job.spec.podFailurePolicy, replacing).countFailed) failures++;
          else ignored++;
        }
        annotations[JOB_LABELS.indexFailureCount] = String(failures);
        if (ignored > 0) annotations[JOB_LABELS.indexIgnoredFailureCount] = String(ignored);
      }
    }
    const container = template.spec.containers[0]!;
    return {
      uid: this.random.uuid(),
      name,
      namespace: this.job.metadata.namespace,
      hostname: index === undefined ? name : `${jobName}-${index}`,
      index,
      labels,
      annotations,
      creationTime: now,
      phase: 'Pending',
      ready: false,
      conditions: [],
      container: { name: container.name, restartCount: 0 },
      trackingFinalizer: true,
    };
  }

  /**
   * Deletes pods without counting them (their tracking finalizer goes first,
   * as deleteJobPods upstream does).
   */
  private releasePods(pods: LocalPod[], active: number, terminating: number): { active: number; terminating: number; removedReady: number } {
    let removedReady = 0;
    for (const pod of pods) {
      pod.trackingFinalizer = false;
      if (pod.ready) removedReady++;
      this.deletePod(pod);
    }
    return { active: active - pods.length, terminating: terminating + pods.length, removedReady };
  }

  /**
   * The Suspended condition after a sync that managed pods: True when the Job
   * is suspended (its startTime cleared, as 1.36 does), False "JobResumed"
   * once resumed (startTime restarted: activeDeadlineSeconds counts
   * continuous activity). A Job never suspended gets no Suspended condition.
   */
  private trackSuspension(now: number): void {
    if (this.job.spec.suspend === true) {
      if (this.writeCondition({ type: 'Suspended', reason: 'JobSuspended', message: 'Job suspended' }, now)) this.startTime = undefined;
    } else if (this.conditions.some((c) => c.type === 'Suspended')) {
      if (this.writeCondition({ type: 'Suspended', reason: 'JobResumed', message: 'Job resumed' }, now, 'False')) this.startTime = now;
    }
  }

  /**
   * Suspends or resumes the Job (`spec.suspend`, as a PATCH would); the next
   * sync acts on it.
   */
  setSuspended(suspended: boolean): void {
    this.job.spec.suspend = suspended;
  }

  /**
   * Pods to delete when there are more active than wanted (activePodsForRemoval
   * upstream): out-of-range indexes and all but one pod of a repeated index
   * first, then the least advanced. A pod still running for an index that has
   * already failed is not removed here: upstream lets it end.
   */
  private activePodsForRemoval(activePods: LocalPod[], rmAtLeast: number): LocalPod[] {
    const rm: LocalPod[] = [];
    let left: LocalPod[] = activePods;
    if (this.indexed) {
      left = [];
      const byIndex = new Map<number, LocalPod[]>();
      for (const pod of activePods) {
        const ix = completionIndexOf(pod);
        if (ix < 0 || ix >= (this.completions ?? 0)) rm.push(pod);
        else byIndex.set(ix, [...(byIndex.get(ix) ?? []), pod]);
      }
      for (const ix of [...byIndex.keys()].sort((a, b) => a - b)) {
        const group = byIndex.get(ix)!.sort(compareForDeletion);
        rm.push(...group.slice(0, -1));
        left.push(group[group.length - 1]!);
      }
    }
    if (rm.length < rmAtLeast) rm.push(...[...left].sort(compareForDeletion).slice(0, rmAtLeast - rm.length));
    return rm;
  }

  private firstPendingIndexes(activePods: LocalPod[], succeededIndexes: IndexSet, failedIndexes: IndexSet | undefined, count: number): number[] {
    let nonPending = succeededIndexes.with(activePods.map(completionIndexOf).filter((ix) => ix >= 0));
    if (this.onlyReplaceFailedPods) nonPending = nonPending.with(this.pods.filter(isTerminating).map(completionIndexOf).filter((ix) => ix >= 0));
    if (failedIndexes !== undefined) nonPending = nonPending.merge(failedIndexes);
    const out: number[] = [];
    const completions = this.completions ?? 0;
    for (let ix = 0; ix < completions && out.length < count; ix++) if (!nonPending.has(ix)) out.push(ix);
    return out;
  }

  private podsWithDelayedDeletion(activePods: LocalPod[], succeededIndexes: IndexSet, failedIndexes: IndexSet): Map<number, LocalPod> {
    const activeIndexes = new Set(activePods.map(completionIndexOf));
    const out = new Map<number, LocalPod>();
    for (const pod of this.pods) {
      if (!pod.trackingFinalizer || !this.validIndex(pod) || !this.isPodFailed(pod)) continue;
      const ix = completionIndexOf(pod);
      if (succeededIndexes.has(ix) || failedIndexes.has(ix) || activeIndexes.has(ix)) continue;
      const last = out.get(ix);
      if (last === undefined || (indexAbsoluteFailureCount(last) <= indexAbsoluteFailureCount(pod) && finishedTimeOf(pod) >= finishedTimeOf(last))) {
        out.set(ix, pod);
      }
    }
    return out;
  }

  private failJobMessage(): string | undefined {
    if (this.job.spec.podFailurePolicy === undefined) return undefined;
    for (const pod of this.pods) {
      if (!this.isPodFailed(pod)) continue;
      const m = matchPodFailurePolicy(this.job.spec.podFailurePolicy, pod);
      if (m.failJobMessage !== undefined) return m.failJobMessage;
    }
    return undefined;
  }

  private pastBackoffLimitOnFailure(): boolean {
    if (this.job.spec.template.spec.restartPolicy !== 'OnFailure') return false;
    const restarts = this.pods
      .filter((p) => p.phase === 'Running' || p.phase === 'Pending')
      .reduce((n, p) => n + p.container.restartCount, 0);
    const limit = this.job.spec.backoffLimit ?? 6;
    return limit === 0 ? restarts > 0 : restarts >= limit;
  }

  private pastActiveDeadline(now: number): boolean {
    const ads = this.job.spec.activeDeadlineSeconds;
    if (ads === undefined || this.startTime === undefined || this.job.spec.suspend === true) return false;
    return now - this.startTime >= ads * 1000;
  }

  /** Deleted pods leave the store once finished and counted. */
  private collectGarbage(): void {
    for (let i = this.pods.length - 1; i >= 0; i--) {
      const pod = this.pods[i]!;
      if (pod.deletionTime !== undefined && isFinished(pod) && !pod.trackingFinalizer) this.pods.splice(i, 1);
    }
  }

  /** Whether pods are still running or terminating. */
  get hasLivePods(): boolean {
    return this.pods.some((p) => !isFinished(p));
  }

  /**
   * The Job's status in the API's shape and key order (the Go struct's, as
   * the API server writes it); zero-valued omitempty fields are left out,
   * pointer fields (terminating, failedIndexes, uncountedTerminatedPods,
   * ready) kept. Every sync here is atomic, so uncountedTerminatedPods is
   * always the empty object a settled real controller leaves.
   */
  status(): JobStatus {
    const status: JobStatus = {};
    if (this.conditions.length > 0) {
      status.conditions = this.conditions.map((c) => {
        const out: JobCondition = { type: c.type, status: c.status };
        if (c.lastProbeTime !== undefined) out.lastProbeTime = c.lastProbeTime;
        if (c.lastTransitionTime !== undefined) out.lastTransitionTime = c.lastTransitionTime;
        if (c.reason !== undefined && c.reason !== '') out.reason = c.reason;
        if (c.message !== undefined && c.message !== '') out.message = c.message;
        return out;
      });
    }
    if (this.startTime !== undefined) status.startTime = formatTime(this.startTime);
    if (this.completionTime !== undefined) status.completionTime = formatTime(this.completionTime);
    if (this.active !== 0) status.active = this.active;
    if (this.succeeded !== 0) status.succeeded = this.succeeded;
    if (this.failed !== 0) status.failed = this.failed;
    status.terminating = this.terminating;
    const completed = this.completedIndexes.toString();
    if (completed !== '') status.completedIndexes = completed;
    if (this.failedIndexes !== undefined) status.failedIndexes = this.failedIndexes.toString();
    status.uncountedTerminatedPods = {};
    status.ready = this.ready;
    return status;
  }
}
