/**
 * What the Job emulator tells an observer while it runs: pods created,
 * containers started and ended, pod output, chaos strikes, the Job's
 * conditions. Observing changes nothing in the run; `jobkit run --timeline`
 * records these to draw the run afterwards (src/local/timeline/).
 */
import type { ChaosKind } from './chaos.ts';
import type { LocalPod } from './pod.ts';
import type { JobCondition } from './types.ts';

/** A Job condition as the controller wrote it, with the moment in ms (the API's lastTransitionTime has only seconds). */
export interface TimedCondition {
  readonly type: JobCondition['type'];
  readonly status: JobCondition['status'];
  readonly reason?: string;
  readonly message?: string;
  /** Epoch ms of the last transition. */
  readonly at: number;
}

/** Why a pod exists: the controller created it, or chaos started it as a duplicate of another pod's index. */
export type PodOrigin = 'controller' | 'duplicate';

/**
 * Callbacks the emulator makes during a run, each with the emulator clock's
 * time (epoch ms). The pod objects are the emulator's own and keep changing:
 * read what is needed at the call, do not mutate them.
 *
 * @example
 * ```ts
 * const observer: RunObserver = {
 *   podCreated: (pod, at, origin) => console.log(pod.name, origin, at),
 *   containerStarted: () => {},
 *   containerExited: (pod) => console.log(pod.name, pod.container.terminated?.exitCode),
 *   podFinished: () => {},
 *   podLine: () => {},
 *   chaosStruck: (kind, pod) => console.log(kind, pod.name),
 *   synced: () => {},
 * };
 * ```
 */
export interface RunObserver {
  /** A pod object was created (its container starts a moment later, or never if deleted first). */
  podCreated(pod: LocalPod, at: number, origin: PodOrigin): void;
  /** The pod's container process started (again, after an OnFailure restart). */
  containerStarted(pod: LocalPod, at: number): void;
  /** The pod's container ended; `pod.container.terminated` holds how. */
  containerExited(pod: LocalPod, at: number): void;
  /** The pod reached its final phase (Succeeded or Failed), whether its container ever ran or not. */
  podFinished(pod: LocalPod, at: number): void;
  /** One line of the pod's stdout or stderr. */
  podLine(pod: LocalPod, line: string, at: number): void;
  /** A chaos action struck the pod (for `duplicate`, the pod whose index was duplicated). */
  chaosStruck(kind: ChaosKind, pod: LocalPod, at: number): void;
  /** The controller finished a sync; its conditions as they now stand. */
  synced(conditions: readonly TimedCondition[], at: number): void;
}
