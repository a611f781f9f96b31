/**
 * The emulator's pod objects: the part of a core/v1 Pod the Job controller
 * reads (phase, deletion, conditions, the first container's status, the
 * completion-index annotations, the tracking finalizer).
 */
import { JOB_LABELS } from './validate.ts';

/** Pod phase. */
export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** A pod condition (DisruptionTarget is the one chaos sets). */
export interface PodCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime: number;
}

/** The terminated state of a container. */
export interface ContainerTerminated {
  readonly exitCode: number;
  readonly signal?: NodeJS.Signals;
  readonly reason: string;
  /** Epoch ms. */
  readonly finishedAt: number;
}

/** Status of the pod's (single, emulated) container. */
export interface ContainerStatus {
  readonly name: string;
  restartCount: number;
  /** Set once the container has terminated for good (or while it waits to restart). */
  terminated?: ContainerTerminated;
}

/** One emulated pod. Mutated by the pod runner (kubelet) and the controller. */
export interface LocalPod {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly hostname: string;
  /** Completion index, or undefined for NonIndexed Jobs. */
  readonly index: number | undefined;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  /** Epoch ms. */
  readonly creationTime: number;
  phase: PodPhase;
  ready: boolean;
  /** Epoch ms when the pod became ready. */
  readySince?: number;
  /** Epoch ms of the delete request. */
  deletionTime?: number;
  deletionGracePeriodSeconds?: number;
  conditions: PodCondition[];
  container: ContainerStatus;
  /** The batch.kubernetes.io/job-tracking finalizer: true until the controller has counted the pod. */
  trackingFinalizer: boolean;
}

/** Terminal phase? */
export function isFinished(pod: LocalPod): boolean {
  return pod.phase === 'Succeeded' || pod.phase === 'Failed';
}

/** controller.FilterActivePods: not finished and not being deleted. */
export function isActive(pod: LocalPod): boolean {
  return !isFinished(pod) && pod.deletionTime === undefined;
}

/** controller.IsPodTerminating: being deleted but not finished yet. */
export function isTerminating(pod: LocalPod): boolean {
  return !isFinished(pod) && pod.deletionTime !== undefined;
}

/** The completion index from the pod's annotation, or -1. */
export function completionIndexOf(pod: LocalPod): number {
  const v = pod.annotations[JOB_LABELS.completionIndex];
  if (v === undefined || !/^\d+$/.test(v)) return -1;
  return Number(v);
}

function annotationInt(pod: LocalPod, key: string): number {
  const v = pod.annotations[key];
  if (v === undefined || !/^\d+$/.test(v)) return 0;
  const n = Number(v);
  return n > 2147483647 ? 0 : n;
}

/** Counted failures of earlier pods of this index (the index-failure-count annotation). */
export function indexFailureCount(pod: LocalPod): number {
  return annotationInt(pod, JOB_LABELS.indexFailureCount);
}

/** Counted plus ignored failures of earlier pods of this index. */
export function indexAbsoluteFailureCount(pod: LocalPod): number {
  return annotationInt(pod, JOB_LABELS.indexFailureCount) + annotationInt(pod, JOB_LABELS.indexIgnoredFailureCount);
}

/**
 * When the pod finished, as backoff_utils.getFinishedTime estimates it:
 * the container's finish time, else the delete request, else creation.
 */
export function finishedTimeOf(pod: LocalPod): number {
  if (pod.container.terminated !== undefined && isFinished(pod)) return pod.container.terminated.finishedAt;
  if (pod.deletionTime !== undefined) return pod.deletionTime;
  return pod.creationTime;
}

const PHASE_RANK: Record<PodPhase, number> = { Pending: 0, Running: 2, Succeeded: 3, Failed: 3 };

/**
 * controller.ActivePods ordering: the pods to delete first come first
 * (pending before running, not ready before ready, ready for less time first,
 * more restarts first, newer first).
 */
export function compareForDeletion(a: LocalPod, b: LocalPod): number {
  if (PHASE_RANK[a.phase] !== PHASE_RANK[b.phase]) return PHASE_RANK[a.phase] - PHASE_RANK[b.phase];
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  if (a.ready && b.ready && a.readySince !== b.readySince) return (b.readySince ?? 0) - (a.readySince ?? 0);
  if (a.container.restartCount !== b.container.restartCount) return b.container.restartCount - a.container.restartCount;
  return b.creationTime - a.creationTime;
}
