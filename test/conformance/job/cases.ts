/**
 * The conformance cases: the emulator's e2e scenarios (test/e2e/emulator/)
 * and its invalid-manifest cases, as manifests both backends run. Scripts see
 * $CASE_DIR, a directory of their own run (a marker file survives a retry).
 */
import { jobManifest } from '../../e2e/emulator/harness.ts';
import type { ConformanceCase } from './harness.ts';

const indexed = (completions: number, parallelism: number, spec: Record<string, unknown> = {}): Record<string, unknown> => ({
  completions,
  parallelism,
  completionMode: 'Indexed',
  ...spec,
});
const ignoreDisruption = { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] };
const chaos = (spec: string): string[] => ['--chaos', spec, '--chaos-max-delay', '600'];
const onceThen = (first: string): string => `if [ -f "$CASE_DIR/once" ]; then exit 0; fi; touch "$CASE_DIR/once"; ${first}`;

/** Cases that run pods. */
export const RUN_CASES: readonly ConformanceCase[] = [
  { id: 'nonindexed', manifest: jobManifest({ spec: { completions: 3, parallelism: 2 }, script: 'echo hi' }) },
  { id: 'indexed', manifest: jobManifest({ name: 'idx', spec: indexed(4, 2), script: 'echo "i=$JOB_COMPLETION_INDEX"' }) },
  {
    id: 'failjob',
    manifest: jobManifest({
      name: 'failjob',
      spec: indexed(3, 3, { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } }] } }),
      script: 'if [ "$JOB_COMPLETION_INDEX" = 1 ]; then sleep 1; exit 42; fi; exec sleep 30',
    }),
  },
  {
    id: 'ignore-exit-code',
    manifest: jobManifest({
      spec: { backoffLimit: 0, podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } }] } },
      script: onceThen('exit 42'),
    }),
  },
  {
    id: 'first-rule-wins',
    manifest: jobManifest({
      spec: {
        backoffLimit: 0,
        podFailurePolicy: {
          rules: [
            { action: 'Count', onExitCodes: { operator: 'In', values: [42] } },
            { action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [1, 2] } },
          ],
        },
      },
      script: 'exit 42',
    }),
  },
  { id: 'backoff-limit', manifest: jobManifest({ spec: { backoffLimit: 1 }, script: 'exit 3' }) },
  { id: 'deadline', manifest: jobManifest({ spec: { activeDeadlineSeconds: 2 }, script: 'exec sleep 30' }) },
  { id: 'onfailure-limit', manifest: jobManifest({ spec: { backoffLimit: 1 }, pod: { restartPolicy: 'OnFailure' }, script: 'exit 1' }) },
  { id: 'onfailure-recovers', manifest: jobManifest({ pod: { restartPolicy: 'OnFailure' }, script: onceThen('exit 1') }) },
  {
    // Accepted upstream: pods restart in place, and no index fails.
    id: 'onfailure-per-index',
    manifest: jobManifest({
      spec: indexed(2, 2, { backoffLimitPerIndex: 1 }),
      pod: { restartPolicy: 'OnFailure' },
      script: 'm="$CASE_DIR/once-$JOB_COMPLETION_INDEX"; if [ -f "$m" ]; then exit 0; fi; touch "$m"; exit 1',
    }),
  },
  {
    id: 'per-index',
    manifest: jobManifest({ spec: indexed(4, 4, { backoffLimitPerIndex: 1 }), script: '[ $((JOB_COMPLETION_INDEX % 2)) = 0 ]' }),
  },
  {
    id: 'max-failed-indexes',
    manifest: jobManifest({
      spec: indexed(6, 2, { backoffLimitPerIndex: 0, maxFailedIndexes: 1 }),
      // 0 ends after 1 s, 1 and 3 fail at once, 2 still runs when 3 fails: the Job fails and ends it.
      script: 'case $JOB_COMPLETION_INDEX in 0) sleep 1 ;; 1|3) exit 1 ;; *) exec sleep 30 ;; esac',
    }),
  },
  {
    id: 'failindex',
    manifest: jobManifest({
      spec: indexed(3, 3, { backoffLimitPerIndex: 5, podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [65] } }] } }),
      script: '[ "$JOB_COMPLETION_INDEX" = 1 ] && exit 65; exit 0',
    }),
  },
  {
    id: 'success-indexes',
    manifest: jobManifest({
      spec: indexed(3, 3, { successPolicy: { rules: [{ succeededIndexes: '0' }] } }),
      script: '[ "$JOB_COMPLETION_INDEX" = 0 ] && exit 0; exec sleep 30',
    }),
  },
  {
    id: 'success-count',
    manifest: jobManifest({
      spec: indexed(4, 4, { successPolicy: { rules: [{ succeededIndexes: '0-1' }, { succeededCount: 2 }] } }),
      script: '[ "$JOB_COMPLETION_INDEX" -ge 2 ] && exit 0; exec sleep 30',
    }),
  },
  {
    id: 'preempt-ignored',
    manifest: jobManifest({ spec: indexed(2, 2, { backoffLimit: 0, podFailurePolicy: ignoreDisruption }), script: 'exec sleep 3' }),
    args: chaos('preempt=1'),
  },
  {
    id: 'preempt-counted',
    manifest: jobManifest({ spec: indexed(2, 2, { backoffLimit: 0 }), script: 'exec sleep 3' }),
    args: chaos('preempt=1'),
  },
  {
    id: 'kill-failjob',
    manifest: jobManifest({
      spec: indexed(2, 2, { backoffLimit: 1, podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [137] } }] } }),
      script: 'exec sleep 3',
    }),
    args: chaos('kill=1'),
  },
  {
    id: 'duplicate',
    manifest: jobManifest({ spec: indexed(2, 2), script: 'sleep 2' }),
    args: chaos('duplicate=1'),
  },
  {
    id: 'replace-when-failed',
    manifest: jobManifest({ spec: { podReplacementPolicy: 'Failed' }, pod: { terminationGracePeriodSeconds: 3 }, script: "trap '' TERM; sleep 2" }),
    args: chaos('preempt=1'),
  },
  {
    // Created suspended: no pod, no startTime, until resumed.
    id: 'created-suspended',
    manifest: jobManifest({ spec: { completions: 2, parallelism: 2, suspend: true }, script: 'true' }),
    args: ['--resume-at', '1500'],
  },
  {
    // Suspended while its pods run: they are deleted and counted as neither success nor failure.
    id: 'suspend-resume',
    manifest: jobManifest({ spec: indexed(2, 2), pod: { terminationGracePeriodSeconds: 2 }, script: 'exec sleep 4' }),
    args: ['--suspend-at', '1500', '--resume-at', '3500'],
  },
  {
    // 60 characters: "<name>-1" is still a valid hostname, but "<name>-1-" must be cut to 58 for the pod names.
    id: 'long-name-indexed',
    manifest: jobManifest({ name: 'a-job-with-a-rather-long-name-that-runs-past-the-pod-limit-x', spec: indexed(2, 2), script: 'echo "$HOSTNAME"' }),
  },
  {
    id: 'long-name',
    manifest: jobManifest({ name: 'a-job-with-a-rather-long-name-that-runs-right-up-to-the-label-l', script: 'true' }),
  },
  {
    // An empty succeededIndexes is valid and never matches: the Job completes by its completions.
    id: 'success-indexes-empty',
    manifest: jobManifest({ spec: indexed(2, 2, { successPolicy: { rules: [{ succeededIndexes: '' }] } }), script: 'true' }),
  },
];

/** Manifests both backends must refuse before any pod runs. */
export const INVALID_CASES: readonly ConformanceCase[] = (
  [
    ['failindex-without-per-index', { podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [1] } }] } }, {}],
    ['exit-code-0-in', { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 0] } }] } }, {}],
    ['unsorted-exit-codes', { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [3, 2] } }] } }, {}],
    ['duplicate-exit-codes', { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [2, 2] } }] } }, {}],
    [
      'exit-codes-and-conditions',
      { podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [1] }, onPodConditions: [{ type: 'DisruptionTarget' }] }] } },
      {},
    ],
    ['restart-always', {}, { restartPolicy: 'Always' }],
    ['policy-with-onfailure', { podFailurePolicy: ignoreDisruption }, { restartPolicy: 'OnFailure' }],
    ['success-policy-nonindexed', { completions: 2, successPolicy: { rules: [{ succeededCount: 1 }] } }, {}],
    ['indexed-without-completions', { completionMode: 'Indexed', parallelism: 2 }, {}],
    ['max-failed-without-per-index', { completionMode: 'Indexed', completions: 2, maxFailedIndexes: 1 }, {}],
    ['negative-parallelism', { parallelism: -1 }, {}],
    ['success-indexes-non-increasing', indexed(3, 1, { successPolicy: { rules: [{ succeededIndexes: '1-1' }] } }), {}],
    ['managed-by-invalid', { managedBy: 'not a path' }, {}],
    ['managed-by-too-long', { managedBy: `example.com/${'x'.repeat(60)}` }, {}],
    ['managed-by-other-controller', { managedBy: 'example.com/queue' }, {}],
    ['suspended-without-resume', { suspend: true }, {}],
    ['condition-type-invalid', { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'a/b/c' }] }] } }, {}],
    ['condition-type-long', { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: `x.io/${'n'.repeat(64)}` }] }] } }, {}],
    ['success-indexes-plus-sign', indexed(3, 1, { successPolicy: { rules: [{ succeededIndexes: '+1', succeededCount: 2 }] } }), {}],
  ] as const
).map(([id, spec, pod]) => ({ id, manifest: jobManifest({ spec: { ...spec }, pod: { ...pod }, script: 'touch "$CASE_DIR/ran"' }) }));
