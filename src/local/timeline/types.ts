/**
 * A recorded run, as the timeline draws it: plain data (JSON-safe), times in
 * ms since the Job was created, so rendering needs no clock and a test can
 * write one by hand.
 */
import type { ChaosKind } from '../chaos.ts';
import type { JobCondition } from '../types.ts';

/**
 * How a container run of a pod (an attempt) ended, in the order the recorder
 * decides it: a chaos-made `duplicate` pod is always that; then `succeeded`
 * (exit 0); `preempted` (the pod had the DisruptionTarget condition: chaos
 * preempt, eviction); `killed` (a signal ended it, such as chaos's SIGKILL,
 * or the Job controller deleted it: deadline, suspension, the Job finished);
 * `failed` (a non-zero exit of its own); `unfinished` (still running when the
 * run ended, e.g. Ctrl-C).
 *
 * @example
 * ```ts
 * const outcome: AttemptOutcome = attempt.exitCode === 0 ? 'succeeded' : 'failed';
 * ```
 */
export type AttemptOutcome = 'succeeded' | 'failed' | 'preempted' | 'killed' | 'duplicate' | 'unfinished';

/**
 * One container run of one pod: a bar of the timeline.
 *
 * @example
 * ```ts
 * const attempt: TimelineAttempt = { pod: 'etl-0-x7k2p', index: 0, restart: 0, startMs: 40, endMs: 1900, outcome: 'failed', exitCode: 3, reason: 'exit code 3 (Error)' };
 * ```
 */
export interface TimelineAttempt {
  readonly pod: string;
  /** Completion index; undefined for a NonIndexed Job. */
  readonly index: number | undefined;
  /** The container's restart count when this run started (OnFailure restarts in place); 0 for the first run. */
  readonly restart: number;
  /** When the container started (or the pod was created, for a pod deleted before its container started), ms since the Job was created. */
  readonly startMs: number;
  /** When it ended (or the run ended, for `unfinished`). */
  readonly endMs: number;
  readonly outcome: AttemptOutcome;
  /** The container's exit code; absent when it never ran or had not ended. */
  readonly exitCode?: number;
  /** How it ended, in words (`exit code 3 (Error)`, `SIGKILL (exit code 137)`, `DisruptionTarget (EvictionByEvictionAPI)`...). */
  readonly reason: string;
}

/**
 * A chaos action, at the moment it struck.
 *
 * @example
 * ```ts
 * const strike: TimelineChaos = { kind: 'kill', pod: 'etl-1-b9q2d', index: 1, atMs: 1250 };
 * ```
 */
export interface TimelineChaos {
  readonly kind: ChaosKind;
  /** The struck pod (for `duplicate`: the pod whose index was duplicated). */
  readonly pod: string;
  readonly index: number | undefined;
  readonly atMs: number;
  /** For `duplicate`: the second pod it started. */
  readonly duplicate?: string;
}

/**
 * A checkpoint commit a pod logged (see checkpoint-lines.ts).
 *
 * @example
 * ```ts
 * const commit: TimelineCheckpoint = { pod: 'etl-0-x7k2p', index: 0, atMs: 800, seq: 3, final: false };
 * ```
 */
export interface TimelineCheckpoint {
  readonly pod: string;
  readonly index: number | undefined;
  readonly atMs: number;
  /** The checkpoint's sequence number, when the line carried one. */
  readonly seq?: number;
  /** The final save at shutdown (`final checkpoint durable`) rather than a periodic one. */
  readonly final: boolean;
}

/**
 * A change of one of the Job's conditions.
 *
 * @example
 * ```ts
 * const change: TimelineCondition = { type: 'Complete', status: 'True', reason: 'CompletionsReached', atMs: 5200 };
 * ```
 */
export interface TimelineCondition {
  readonly type: JobCondition['type'];
  readonly status: JobCondition['status'];
  readonly reason?: string;
  readonly message?: string;
  readonly atMs: number;
}

/** How the run ended: the emulator's outcomes, or `Interrupted` (Ctrl-C). */
export type RecordedOutcome = 'Complete' | 'Failed' | 'Stalled' | 'Deleted' | 'Interrupted';

/**
 * Everything the timeline shows of one Job run.
 *
 * @example
 * ```ts
 * const run: RecordedRun = {
 *   jobName: 'etl', namespace: 'default', indexed: true, completions: 1, startedAt: Date.parse('2026-01-01T00:00:00Z'),
 *   durationMs: 2000, outcome: 'Complete', attempts: [], chaos: [], checkpoints: [], conditions: [],
 * };
 * ```
 */
export interface RecordedRun {
  readonly jobName: string;
  readonly namespace: string;
  /** completionMode Indexed: one lane per index; otherwise one lane per pod slot. */
  readonly indexed: boolean;
  readonly completions?: number;
  /** When the Job was created, epoch ms (only printed, as the time the run started). */
  readonly startedAt: number;
  /** From the Job's creation to the end of the run. */
  readonly durationMs: number;
  readonly outcome: RecordedOutcome;
  readonly attempts: readonly TimelineAttempt[];
  readonly chaos: readonly TimelineChaos[];
  readonly checkpoints: readonly TimelineCheckpoint[];
  readonly conditions: readonly TimelineCondition[];
}
