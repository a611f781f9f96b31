/**
 * Matching a failed pod against `spec.podFailurePolicy`, as the Job controller
 * does (pkg/controller/job/pod_failure_policy.go): rules in order, first match
 * wins, no match counts the failure.
 */
import type { LocalPod } from './pod.ts';
import type { PodFailurePolicy, PodFailurePolicyAction, PodFailurePolicyOnExitCodesRequirement } from './types.ts';

/** The outcome of matching one failed pod. */
export interface PolicyMatch {
  /** The Job failure message when a FailJob rule matched. */
  readonly failJobMessage?: string;
  /** Whether the failure counts against backoffLimit / backoffLimitPerIndex (false for Ignore). */
  readonly countFailed: boolean;
  /** The matched rule's action; undefined when no rule matched. */
  readonly action?: PodFailurePolicyAction;
}

function exitCodeMatches(pod: LocalPod, req: PodFailurePolicyOnExitCodesRequirement): number | undefined {
  const terminated = pod.container.terminated;
  // A container that is still running (or waiting) has no exit code to match,
  // and containers that exited 0 never match.
  if (terminated === undefined || pod.phase !== 'Failed') return undefined;
  if (req.containerName !== undefined && req.containerName !== pod.container.name) return undefined;
  if (terminated.exitCode === 0) return undefined;
  const listed = req.values.includes(terminated.exitCode);
  const matches = req.operator === 'In' ? listed : !listed;
  return matches ? terminated.exitCode : undefined;
}

/**
 * Matches a failed pod against the policy.
 *
 * @example
 * ```ts
 * const m = matchPodFailurePolicy(job.spec.podFailurePolicy, pod);
 * if (m.failJobMessage !== undefined) failJob(m.failJobMessage);
 * ```
 */
export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: LocalPod): PolicyMatch {
  if (policy === undefined) return { countFailed: true };
  for (const [index, rule] of policy.rules.entries()) {
    let matchedMessage: string | undefined;
    if (rule.onExitCodes !== undefined) {
      const code = exitCodeMatches(pod, rule.onExitCodes);
      if (code === undefined) continue;
      matchedMessage = `Container ${pod.container.name} for pod ${pod.namespace}/${pod.name} failed with exit code ${code} matching ${rule.action} rule at index ${index}`;
    } else if (rule.onPodConditions !== undefined) {
      const condition = pod.conditions.find((c) => rule.onPodConditions!.some((p) => p.type === c.type && p.status === c.status));
      if (condition === undefined) continue;
      matchedMessage = `Pod ${pod.namespace}/${pod.name} has condition ${condition.type} matching ${rule.action} rule at index ${index}`;
    } else continue;
    switch (rule.action) {
      case 'Ignore':
        return { countFailed: false, action: 'Ignore' };
      case 'Count':
        return { countFailed: true, action: 'Count' };
      case 'FailIndex':
        return { countFailed: true, action: 'FailIndex' };
      case 'FailJob':
        return { failJobMessage: matchedMessage, countFailed: true, action: 'FailJob' };
    }
  }
  return { countFailed: true };
}
