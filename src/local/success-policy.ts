/**
 * `spec.successPolicy` evaluation (pkg/controller/job/success_policy.go).
 */
import { IndexSet } from './intervals.ts';
import type { SuccessPolicy } from './types.ts';

/**
 * Returns the SuccessCriteriaMet message ("Matched rules at index <i>") of the
 * first rule the succeeded indexes satisfy, or undefined.
 *
 * @example
 * ```ts
 * matchSuccessPolicy({ rules: [{ succeededCount: 2 }] }, 4, IndexSet.of([0, 3])); // "Matched rules at index 0"
 * ```
 */
export function matchSuccessPolicy(policy: SuccessPolicy | undefined, completions: number, succeeded: IndexSet): string | undefined {
  if (policy === undefined || succeeded.total === 0) return undefined;
  for (const [index, rule] of policy.rules.entries()) {
    if (rule.succeededIndexes !== undefined) {
      const required = IndexSet.parse(rule.succeededIndexes, completions);
      if (required.total === 0) continue;
      const contained = required.countIn(succeeded);
      if (contained === required.total || (rule.succeededCount !== undefined && contained >= rule.succeededCount)) {
        return `Matched rules at index ${index}`;
      }
    } else if (rule.succeededCount !== undefined && succeeded.total >= rule.succeededCount) {
      return `Matched rules at index ${index}`;
    }
  }
  return undefined;
}
