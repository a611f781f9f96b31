/**
 * The pod re-creation back-off (pkg/controller/job/backoff_utils.go):
 * 10 s * 2^(n-1) after n failures since the last success, capped at 10 min,
 * job-wide, or per index with backoffLimitPerIndex.
 */
import { type LocalPod, finishedTimeOf } from './pod.ts';

/** The controller's defaults, before `--backoff-scale`. */
export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 600_000;

/** Failures since the last success, and when the last one happened. */
export interface BackoffRecord {
  readonly failuresAfterLastSuccess: number;
  readonly lastFailureTime?: number;
}

/**
 * The record after a sync observed newly finished pods.
 *
 * @example
 * ```ts
 * nextBackoffRecord({ failuresAfterLastSuccess: 0 }, [], [failedPod]); // 1 failure
 * ```
 */
export function nextBackoffRecord(prev: BackoffRecord, newSucceeded: readonly LocalPod[], newFailed: readonly LocalPod[]): BackoffRecord {
  const failedTimes = newFailed.map(finishedTimeOf).sort((a, b) => a - b);
  if (newSucceeded.length === 0) {
    if (failedTimes.length === 0) return prev;
    return { failuresAfterLastSuccess: prev.failuresAfterLastSuccess + failedTimes.length, lastFailureTime: failedTimes[failedTimes.length - 1]! };
  }
  const lastSuccess = Math.max(...newSucceeded.map(finishedTimeOf));
  const after = failedTimes.filter((t) => t > lastSuccess);
  if (after.length === 0) return { failuresAfterLastSuccess: 0 };
  return { failuresAfterLastSuccess: after.length, lastFailureTime: after[after.length - 1]! };
}

/**
 * Milliseconds left before a replacement pod may be created (0 = now).
 *
 * @example
 * ```ts
 * remainingBackoffMs(3, t0, t0 + 5_000, 10_000, 600_000); // 35_000
 * ```
 */
export function remainingBackoffMs(failures: number, lastFailureTime: number | undefined, now: number, baseMs: number, maxMs: number): number {
  if (failures === 0 || lastFailureTime === undefined) return 0;
  const backoff = doublingBackoffMs(failures, baseMs, maxMs);
  const elapsed = now - lastFailureTime;
  return backoff < elapsed ? 0 : backoff - elapsed;
}

/**
 * `baseMs * 2^(n-1)` for the n-th consecutive failure (n >= 1), capped at
 * `maxMs`: the shape of both the controller's re-creation back-off and the
 * kubelet's crash-loop back-off.
 *
 * @example
 * ```ts
 * doublingBackoffMs(3, 10_000, 600_000); // 40_000
 * ```
 */
export function doublingBackoffMs(n: number, baseMs: number, maxMs: number): number {
  let backoff = baseMs;
  for (let i = 1; i < n && backoff < maxMs; i++) backoff *= 2;
  return Math.min(backoff, maxMs);
}
