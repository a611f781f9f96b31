/**
 * Records a Job run for the timeline: a {@link RunObserver} that turns the
 * emulator's callbacks into a {@link RecordedRun} (attempts with their
 * outcome, chaos strikes, checkpoint commits, condition changes).
 */
import type { ChaosKind } from '../chaos.ts';
import type { LocalPod } from '../pod.ts';
import type { PodOrigin, RunObserver, TimedCondition } from '../run-observer.ts';
import type { Job } from '../types.ts';
import { checkpointCommitOf } from './checkpoint-lines.ts';
import type { AttemptOutcome, RecordedOutcome, RecordedRun, TimelineAttempt, TimelineChaos, TimelineCheckpoint, TimelineCondition } from './types.ts';

interface OpenAttempt {
  readonly pod: LocalPod;
  readonly restart: number;
  readonly startedAt: number;
}

interface PodRecord {
  readonly origin: PodOrigin;
  /** Attempts recorded for the pod so far (open or closed). */
  attempts: number;
  open?: OpenAttempt;
  /** The chaos kill that struck the pod, if any: its SIGKILL is chaos's, not the kubelet's. */
  chaosKilled: boolean;
}

/**
 * How an ended container run counts on the timeline, and why, in words.
 * Exported for the unit tests of the rules.
 *
 * @example
 * ```ts
 * attemptOutcomeOf(pod, 'controller', false); // { outcome: 'failed', exitCode: 3, reason: 'exit code 3 (Error)' }
 * ```
 */
export function attemptOutcomeOf(pod: LocalPod, origin: PodOrigin, chaosKilled: boolean): { outcome: AttemptOutcome; exitCode?: number; reason: string } {
  const t = pod.container.terminated;
  const how = t === undefined ? 'its container never started' : t.signal === undefined ? `exit code ${t.exitCode} (${t.reason})` : `${t.signal} (exit code ${t.exitCode})`;
  const exit = t === undefined ? {} : { exitCode: t.exitCode };
  const disruption = pod.conditions.find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  const deleted = pod.deletionTime !== undefined;
  if (origin === 'duplicate') return { outcome: 'duplicate', ...exit, reason: `chaos duplicate pod; ${how}` };
  if (t?.exitCode === 0) return { outcome: 'succeeded', ...exit, reason: deleted ? `${how}, after its deletion` : how };
  if (disruption !== undefined) return { outcome: 'preempted', ...exit, reason: `DisruptionTarget (${disruption.reason ?? 'no reason'}); ${how}` };
  if (chaosKilled && t?.signal === 'SIGKILL') return { outcome: 'killed', ...exit, reason: `chaos kill: ${how}` };
  if (deleted) return { outcome: 'killed', ...exit, reason: `deleted by the Job controller; ${how}` };
  if (t?.signal !== undefined) return { outcome: 'killed', ...exit, reason: how };
  return { outcome: 'failed', ...exit, reason: how };
}

/**
 * Collects one Job run. Give it to `runObservedLocalJob` as the observer and
 * call {@link TimelineRecorder.jobCreated} from `onCreated`; once the run has
 * ended (or was interrupted), {@link TimelineRecorder.finish} returns what
 * happened.
 *
 * @example
 * ```ts
 * const recorder = new TimelineRecorder();
 * const result = await runObservedLocalJob({ manifest, onCreated: (job) => recorder.jobCreated(job) }, recorder);
 * const html = renderTimeline(recorder.finish(result.outcome));
 * ```
 */
export class TimelineRecorder implements RunObserver {
  private readonly now: () => number;
  private job: Job | undefined;
  private startedAt = 0;
  private readonly pods = new Map<LocalPod, PodRecord>();
  private readonly attempts: TimelineAttempt[] = [];
  private readonly chaos: TimelineChaos[] = [];
  private readonly checkpoints: TimelineCheckpoint[] = [];
  private readonly conditions: TimelineCondition[] = [];
  private readonly lastCondition = new Map<string, string>();

  /** `now` is the emulator's clock (the same one it stamps events with). */
  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Whether the Job was created, i.e. there is a run to draw. */
  get started(): boolean {
    return this.job !== undefined;
  }

  /** The Job as created: the timeline's time 0. */
  jobCreated(job: Job): void {
    this.job = job;
    this.startedAt = this.now();
  }

  podCreated(pod: LocalPod, _at: number, origin: PodOrigin): void {
    this.pods.set(pod, { origin, attempts: 0, chaosKilled: false });
    if (origin === 'duplicate') this.nameDuplicate(pod);
  }

  containerStarted(pod: LocalPod, at: number): void {
    const record = this.record(pod);
    record.open = { pod, restart: pod.container.restartCount, startedAt: at };
    record.attempts++;
  }

  containerExited(pod: LocalPod, at: number): void {
    const record = this.record(pod);
    const open = record.open;
    if (open === undefined) return;
    record.open = undefined;
    this.attempts.push({ ...this.base(pod, open.restart, open.startedAt, at), ...attemptOutcomeOf(pod, record.origin, record.chaosKilled) });
  }

  podFinished(pod: LocalPod, at: number): void {
    const record = this.record(pod);
    // A pod deleted before its container started still was a pod of the Job: a thin bar from its creation.
    if (record.attempts > 0) return;
    record.attempts++;
    this.attempts.push({ ...this.base(pod, 0, pod.creationTime, at), ...attemptOutcomeOf(pod, record.origin, record.chaosKilled) });
  }

  podLine(pod: LocalPod, line: string, at: number): void {
    const commit = checkpointCommitOf(line);
    if (commit === undefined) return;
    this.checkpoints.push({ pod: pod.name, index: pod.index, atMs: at - this.startedAt, ...commit });
  }

  chaosStruck(kind: ChaosKind, pod: LocalPod, at: number): void {
    if (kind === 'kill') this.record(pod).chaosKilled = true;
    this.chaos.push({ kind, pod: pod.name, index: pod.index, atMs: at - this.startedAt });
  }

  /** The duplicate of a `duplicate` strike is created right after the strike: name it on the strike. */
  private nameDuplicate(dup: LocalPod): void {
    const i = this.chaos.findLastIndex((c) => c.kind === 'duplicate' && c.duplicate === undefined);
    if (i >= 0) this.chaos[i] = { ...this.chaos[i]!, duplicate: dup.name };
  }

  synced(conditions: readonly TimedCondition[]): void {
    for (const c of conditions) {
      const key = `${c.status}\u0000${c.reason ?? ''}\u0000${c.message ?? ''}`;
      if (this.lastCondition.get(c.type) === key) continue;
      this.lastCondition.set(c.type, key);
      this.conditions.push({
        type: c.type,
        status: c.status,
        ...(c.reason === undefined || c.reason === '' ? {} : { reason: c.reason }),
        ...(c.message === undefined || c.message === '' ? {} : { message: c.message }),
        atMs: c.at - this.startedAt,
      });
    }
  }

  /**
   * What was recorded, as of now. Attempts still open (the run was
   * interrupted) end now, `unfinished`.
   *
   * @throws Error when the Job was never created (nothing ran: there is no timeline).
   */
  finish(outcome: RecordedOutcome): RecordedRun {
    const job = this.job;
    if (job === undefined) throw new Error('no Job was created, so there is no run to draw');
    const at = this.now();
    const attempts = [...this.attempts];
    for (const record of this.pods.values()) {
      const open = record.open;
      if (open === undefined) continue;
      attempts.push({ ...this.base(open.pod, open.restart, open.startedAt, at), outcome: 'unfinished', reason: 'still running when the run ended' });
    }
    attempts.sort((a, b) => a.startMs - b.startMs || a.pod.localeCompare(b.pod));
    const completions = job.spec.completions;
    return {
      jobName: job.metadata.name,
      namespace: job.metadata.namespace,
      indexed: job.spec.completionMode === 'Indexed',
      ...(completions === undefined ? {} : { completions }),
      startedAt: this.startedAt,
      durationMs: Math.max(0, at - this.startedAt),
      outcome,
      attempts,
      chaos: [...this.chaos],
      checkpoints: [...this.checkpoints],
      conditions: [...this.conditions],
    };
  }

  private record(pod: LocalPod): PodRecord {
    let record = this.pods.get(pod);
    if (record === undefined) {
      // Not seen created (cannot happen with the emulator's order of calls): count it as the controller's.
      record = { origin: 'controller', attempts: 0, chaosKilled: false };
      this.pods.set(pod, record);
    }
    return record;
  }

  private base(pod: LocalPod, restart: number, startedAt: number, endedAt: number): Pick<TimelineAttempt, 'pod' | 'index' | 'restart' | 'startMs' | 'endMs'> {
    return { pod: pod.name, index: pod.index, restart, startMs: startedAt - this.startedAt, endMs: Math.max(startedAt, endedAt) - this.startedAt };
  }
}
