/**
 * Scenarios modelled on the Kubernetes Job controller's own e2e and unit
 * tests, run through the real CLI with real processes and signals. Each checks
 * the final status as a cluster would report it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conditionsOf, jobManifest, removeTempDirs, runManifest, tempDir } from './harness.ts';

afterAll(removeTempDirs);

const COMPLETE_BY_COMPLETIONS: Array<[string, string, string]> = [
  ['SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'],
  ['Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'],
];

describe('jobkit run: success', () => {
  it('runs a NonIndexed job to completion (completions 3, parallelism 2)', async () => {
    const r = await runManifest(jobManifest({ spec: { completions: 3, parallelism: 2 }, script: 'echo hi' }));
    expect(r.code).toBe(0);
    expect(conditionsOf(r.job)).toEqual(COMPLETE_BY_COMPLETIONS);
    const s = r.job.status!;
    expect(s.succeeded).toBe(3);
    expect(s).not.toHaveProperty('failed');
    expect(s).not.toHaveProperty('active');
    expect(s).not.toHaveProperty('completedIndexes');
    expect(s).not.toHaveProperty('failedIndexes');
    expect(s.uncountedTerminatedPods).toEqual({});
    expect(s.ready).toBe(0);
    expect(s.terminating).toBe(0);
    expect(s.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(s.completionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // The API server's order (the Go struct's).
    expect(Object.keys(s)).toEqual(['conditions', 'startTime', 'completionTime', 'succeeded', 'terminating', 'uncountedTerminatedPods', 'ready']);
    expect(Object.keys(s.conditions![0]!)).toEqual(['type', 'status', 'lastProbeTime', 'lastTransitionTime', 'reason', 'message']);
    expect(r.stderr.match(/\[test-[bcdfghjklmnpqrstvwxz2456789]{5}\] hi/g)).toHaveLength(3);
  });

  it('gives Indexed pods their index, hostname, names and downward-API env', async () => {
    const r = await runManifest(
      jobManifest({
        name: 'idx',
        spec: { completions: 4, parallelism: 2, completionMode: 'Indexed' },
        script: `echo "i=$JOB_COMPLETION_INDEX h=$HOSTNAME p=$POD a=$ANN l=$LBL n=$NS x=$(EXPANDED)" 'e=$$(NOPE) u=$(UNSET)'`,
        container: {
          env: [
            { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'ANN', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
            { name: 'LBL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
            { name: 'EXPANDED', value: 'pod-$(POD)' },
          ],
        },
      }),
    );
    expect(r.code).toBe(0);
    expect(r.job.status?.completedIndexes).toBe('0-3');
    expect(r.job.status?.succeeded).toBe(4);
    for (let i = 0; i < 4; i++) {
      const line = new RegExp(`\\[(idx-${i}-[a-z0-9]{5})\\] i=${i} h=idx-${i} p=(\\S+) a=${i} l=idx n=default x=pod-(\\S+) e=\\$\\(NOPE\\) u=\\$\\(UNSET\\)`).exec(r.stderr);
      expect(line, `line of index ${i}`).not.toBeNull();
      expect(line![2]).toBe(line![1]);
      expect(line![3]).toBe(line![1]);
    }
  });

  it('passes the parent environment to pods, under the manifest env', async () => {
    const r = await runManifest(
      jobManifest({ script: 'echo "store=$JOBKIT_STORE over=$OVER"', container: { env: [{ name: 'OVER', value: 'manifest' }] } }),
      [],
      { ...process.env, JOBKIT_STORE: 'memory://', OVER: 'parent' },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('store=memory:// over=manifest');
  });
});

describe('jobkit run: failures and podFailurePolicy', () => {
  it('fails the Job on a FailJob exit code with the controller message, terminating the other pods', async () => {
    const r = await runManifest(
      jobManifest({
        name: 'failjob',
        spec: {
          completions: 3,
          parallelism: 3,
          completionMode: 'Indexed',
          podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } }] },
        },
        script: 'if [ "$JOB_COMPLETION_INDEX" = 1 ]; then exit 42; fi; exec sleep 30',
      }),
    );
    expect(r.code).toBe(1);
    const conditions = conditionsOf(r.job);
    expect(conditions.map((c) => [c[0], c[1]])).toEqual([
      ['FailureTarget', 'PodFailurePolicy'],
      ['Failed', 'PodFailurePolicy'],
    ]);
    expect(conditions[0]![2]).toMatch(/^Container main for pod default\/failjob-1-[a-z0-9]{5} failed with exit code 42 matching FailJob rule at index 0$/);
    expect(conditions[1]![2]).toBe(conditions[0]![2]);
    // The failing pod plus the two pods terminated when the Job failed.
    expect(r.job.status?.failed).toBe(3);
    expect(r.job.status).not.toHaveProperty('completionTime');
    expect(r.job.status).not.toHaveProperty('succeeded');
  });

  it('does not count a failure matching an Ignore exit-code rule', async () => {
    const dir = tempDir();
    const r = await runManifest(
      jobManifest({
        spec: { backoffLimit: 0, podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } }] } },
        script: `if [ -f ${dir}/once ]; then exit 0; fi; touch ${dir}/once; exit 42`,
      }),
    );
    expect(r.code).toBe(0);
    expect(conditionsOf(r.job)).toEqual(COMPLETE_BY_COMPLETIONS);
    expect(r.job.status?.succeeded).toBe(1);
    expect(r.job.status).not.toHaveProperty('failed');
  });

  it('applies the first matching rule only', async () => {
    const policy = (rules: object[]): Record<string, unknown> => ({ backoffLimit: 0, podFailurePolicy: { rules } });
    const countFirst = await runManifest(
      jobManifest({
        spec: policy([
          { action: 'Count', onExitCodes: { operator: 'In', values: [42] } },
          { action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [1, 2] } },
        ]),
        script: 'exit 42',
      }),
    );
    expect(countFirst.code).toBe(1);
    expect(conditionsOf(countFirst.job).map((c) => c[1])).toEqual(['BackoffLimitExceeded', 'BackoffLimitExceeded']);
    expect(countFirst.job.status?.failed).toBe(1);

    const failJobFirst = await runManifest(
      jobManifest({
        spec: policy([
          { action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [1, 2] } },
          { action: 'Count', onExitCodes: { operator: 'In', values: [42] } },
        ]),
        script: 'exit 42',
      }),
    );
    expect(conditionsOf(failJobFirst.job)[0]![2]).toMatch(/failed with exit code 42 matching FailJob rule at index 0$/);
  });

  it('fails with BackoffLimitExceeded after backoffLimit+1 counted failures', async () => {
    const r = await runManifest(jobManifest({ spec: { backoffLimit: 2 }, script: 'echo try; exit 3' }));
    expect(r.code).toBe(1);
    expect(conditionsOf(r.job)).toEqual([
      ['FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
      ['Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
    ]);
    expect(r.job.status?.failed).toBe(3);
    expect(r.stderr.match(/\] try/g)).toHaveLength(3);
  });

  it('fails with DeadlineExceeded when activeDeadlineSeconds passes, killing the running pod', async () => {
    const r = await runManifest(jobManifest({ spec: { activeDeadlineSeconds: 1 }, script: 'exec sleep 30' }));
    expect(r.code).toBe(1);
    expect(conditionsOf(r.job)).toEqual([
      ['FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline'],
      ['Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline'],
    ]);
    expect(r.job.status?.failed).toBe(1);
  });

  it('counts OnFailure in-place restarts against backoffLimit', async () => {
    const r = await runManifest(jobManifest({ spec: { backoffLimit: 2 }, pod: { restartPolicy: 'OnFailure' }, script: 'echo run; exit 1' }));
    expect(r.code).toBe(1);
    expect(conditionsOf(r.job).map((c) => c[1])).toEqual(['BackoffLimitExceeded', 'BackoffLimitExceeded']);
    // One pod, restarted in place, counted once when the Job fails.
    expect(r.job.status?.failed).toBe(1);
    expect(new Set(r.stderr.match(/\[test-[a-z0-9]{5}\] run/g))).toHaveProperty('size', 1);
    expect(r.stderr.match(/\] run/g)!.length).toBeGreaterThanOrEqual(2);
  });

  it('completes an OnFailure Job whose container succeeds after a restart', async () => {
    const dir = tempDir();
    const r = await runManifest(
      jobManifest({ pod: { restartPolicy: 'OnFailure' }, script: `if [ -f ${dir}/x ]; then exit 0; fi; touch ${dir}/x; exit 1` }),
    );
    expect(r.code).toBe(0);
    expect(r.job.status?.succeeded).toBe(1);
    expect(r.job.status).not.toHaveProperty('failed');
  });
});

describe('jobkit run: termination and back-off', () => {
  it('sends SIGTERM, then SIGKILL to the whole pod once the grace period ends', async () => {
    const started = Date.now();
    const r = await runManifest(jobManifest({ spec: { activeDeadlineSeconds: 1 }, script: "trap '' TERM; sleep 30; echo never" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exited with SIGKILL \(exit code 137\)/);
    expect(r.stderr).not.toContain('never');
    // Deadline (1 s) plus grace period (1 s), far from the pod's 30 s.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('lets a SIGTERM handler run before a preempted pod exits', async () => {
    const program = "process.on('SIGTERM', () => { console.log('saving checkpoint'); process.exit(143); }); setTimeout(() => {}, 1500);";
    const r = await runManifest(
      jobManifest({
        spec: { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] }, backoffLimit: 0 },
        script: '',
        container: { command: [process.execPath, '-e', program] },
      }),
      ['--chaos', 'preempt=1', '--chaos-max-delay', '500'],
    );
    expect(r.stderr).toMatch(/\[test-[a-z0-9]{5}\] saving checkpoint/);
    expect(r.code).toBe(0);
    expect(r.job.status?.succeeded).toBe(1);
    expect(r.job.status).not.toHaveProperty('failed');
  });

  it('waits at least the scaled re-creation back-off between failures', async () => {
    const started = Date.now();
    const r = await runManifest(jobManifest({ spec: { backoffLimit: 2 }, script: 'exit 1' }), ['--backoff-scale', '0.1']);
    expect(r.code).toBe(1);
    // 10 s and 20 s, times 0.1.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
  });
});

describe('jobkit run: OnFailure restart back-off', () => {
  it('doubles the restart delay, and forgets it once a container ran longer than the reset window (600 s, scaled)', async () => {
    const dir = tempDir();
    // Runs 1-3 fail at once; run 4 works 1.5 s (past 600 s x 0.001) and fails; run 5 succeeds.
    const script = `n=$(cat ${dir}/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/n; [ $n = 4 ] && { sleep 1.5; exit 1; }; [ $n -ge 5 ] && exit 0; exit 1`;
    const r = await runManifest(jobManifest({ pod: { restartPolicy: 'OnFailure' }, script }), ['--backoff-scale', '0.001']);
    expect(r.code, r.stderr).toBe(0);
    const delays = [...r.stderr.matchAll(/restarting in (\d+) ms/g)].map((m) => Number(m[1]));
    expect(delays).toEqual([0, 10, 20, 0]);
  });
});

describe('jobkit run: per-index back-off', () => {
  it('fails odd indexes after backoffLimitPerIndex and the Job with FailedIndexes', async () => {
    const r = await runManifest(
      jobManifest({
        spec: { completions: 4, parallelism: 4, completionMode: 'Indexed', backoffLimitPerIndex: 1 },
        script: 'echo "attempt $ATTEMPT"; [ $((JOB_COMPLETION_INDEX % 2)) = 0 ]',
        container: { env: [{ name: 'ATTEMPT', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-index-failure-count']" } } }] },
      }),
    );
    expect(r.code).toBe(1);
    const s = r.job.status!;
    expect(s.failedIndexes).toBe('1,3');
    expect(s.completedIndexes).toBe('0,2');
    expect(s.succeeded).toBe(2);
    expect(s.failed).toBe(4);
    expect(conditionsOf(r.job)).toEqual([
      ['FailureTarget', 'FailedIndexes', 'Job has failed indexes'],
      ['Failed', 'FailedIndexes', 'Job has failed indexes'],
    ]);
    expect(r.stderr).toMatch(/\[test-1-[a-z0-9]{5}\] attempt 1/);
  });

  it('stops early with MaxFailedIndexesExceeded', async () => {
    const r = await runManifest(
      jobManifest({
        spec: { completions: 6, parallelism: 2, completionMode: 'Indexed', backoffLimitPerIndex: 0, maxFailedIndexes: 1 },
        script: '[ $((JOB_COMPLETION_INDEX % 2)) = 0 ] || exit 1; sleep 0.3',
      }),
    );
    expect(r.code).toBe(1);
    expect(conditionsOf(r.job)).toEqual([
      ['FailureTarget', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes'],
      ['Failed', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes'],
    ]);
    expect(r.job.status?.failedIndexes).toBe('1,3');
  });

  it('fails an index at once on a FailIndex rule while the others complete', async () => {
    const r = await runManifest(
      jobManifest({
        spec: {
          completions: 3,
          parallelism: 3,
          completionMode: 'Indexed',
          backoffLimitPerIndex: 5,
          podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [65] } }] },
        },
        script: '[ "$JOB_COMPLETION_INDEX" = 1 ] && exit 65; exit 0',
      }),
    );
    expect(r.code).toBe(1);
    expect(r.job.status?.failedIndexes).toBe('1');
    expect(r.job.status?.completedIndexes).toBe('0,2');
    expect(r.job.status?.failed).toBe(1);
    expect(conditionsOf(r.job).map((c) => c[1])).toEqual(['FailedIndexes', 'FailedIndexes']);
  });
});

describe('jobkit run: successPolicy', () => {
  it('completes on succeededIndexes and terminates lingering pods without counting them', async () => {
    const started = Date.now();
    const r = await runManifest(
      jobManifest({
        spec: { completions: 3, parallelism: 3, completionMode: 'Indexed', successPolicy: { rules: [{ succeededIndexes: '0' }] } },
        script: '[ "$JOB_COMPLETION_INDEX" = 0 ] && exit 0; exec sleep 30',
      }),
    );
    expect(r.code).toBe(0);
    expect(conditionsOf(r.job)).toEqual([
      ['SuccessCriteriaMet', 'SuccessPolicy', 'Matched rules at index 0'],
      ['Complete', 'SuccessPolicy', 'Matched rules at index 0'],
    ]);
    expect(r.job.status?.completedIndexes).toBe('0');
    expect(r.job.status?.succeeded).toBe(1);
    expect(r.job.status).not.toHaveProperty('failed');
    expect(r.job.status?.completionTime).toBeDefined();
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('completes on succeededCount, naming the matching rule', async () => {
    const r = await runManifest(
      jobManifest({
        spec: {
          completions: 4,
          parallelism: 4,
          completionMode: 'Indexed',
          successPolicy: { rules: [{ succeededIndexes: '0-1' }, { succeededCount: 2 }] },
        },
        script: '[ "$JOB_COMPLETION_INDEX" -ge 2 ] && exit 0; exec sleep 30',
      }),
    );
    expect(r.code).toBe(0);
    expect(conditionsOf(r.job)[0]).toEqual(['SuccessCriteriaMet', 'SuccessPolicy', 'Matched rules at index 1']);
    expect(r.job.status?.completedIndexes).toBe('2,3');
  });
});

describe('jobkit run: chaos', () => {
  const longPods = (spec: Record<string, unknown>): Record<string, unknown> =>
    jobManifest({ spec: { completions: 2, parallelism: 2, completionMode: 'Indexed', backoffLimit: 0, ...spec }, script: 'exec sleep 1' });

  it('ignores preemptions with an Ignore rule on DisruptionTarget', async () => {
    const r = await runManifest(
      longPods({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }),
      ['--chaos', 'preempt=1', '--chaos-max-delay', '300'],
    );
    expect(r.stderr).toContain('chaos: preempting pod');
    expect(r.code).toBe(0);
    expect(r.job.status?.completedIndexes).toBe('0,1');
    expect(r.job.status).not.toHaveProperty('failed');
  });

  it('counts a preemption when no rule ignores it', async () => {
    const r = await runManifest(longPods({}), ['--chaos', 'preempt=1', '--chaos-max-delay', '300']);
    expect(r.code).toBe(1);
    expect(conditionsOf(r.job).map((c) => c[1])).toEqual(['BackoffLimitExceeded', 'BackoffLimitExceeded']);
  });

  it('replaces a preempted pod while it terminates with TerminatingOrFailed, after it ends with Failed', async () => {
    // The pod ignores SIGTERM and ends by itself, exit 0, inside its 3 s grace period.
    const manifest = (podReplacementPolicy: string): Record<string, unknown> =>
      jobManifest({ spec: { podReplacementPolicy }, pod: { terminationGracePeriodSeconds: 3 }, script: "trap '' TERM; echo start; sleep 1.5" });
    const eager = await runManifest(manifest('TerminatingOrFailed'), ['--chaos', 'preempt=1', '--chaos-max-delay', '600']);
    expect(eager.code).toBe(0);
    expect(eager.stderr.match(/\] start/g)).toHaveLength(2);
    // Counted as failed when deleted; its later exit 0 does not count.
    expect(eager.job.status).toMatchObject({ succeeded: 1, failed: 1 });

    const patient = await runManifest(manifest('Failed'), ['--chaos', 'preempt=1', '--chaos-max-delay', '600']);
    expect(patient.code).toBe(0);
    expect(patient.stderr.match(/\] start/g)).toHaveLength(1);
    // Judged once finished: it exited 0, so it is the success.
    expect(patient.job.status?.succeeded).toBe(1);
    expect(patient.job.status).not.toHaveProperty('failed');
  });

  it('counts a SIGKILL (exit 137) as a failure', async () => {
    const r = await runManifest(
      longPods({ backoffLimit: 1, podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [137] } }] } }),
      ['--chaos', 'kill=1', '--chaos-max-delay', '300'],
    );
    expect(r.code).toBe(1);
    expect(conditionsOf(r.job)[0]![2]).toMatch(/failed with exit code 137 matching FailJob rule at index 0$/);
  });

  it('counts only the first success of an index when a duplicate pod runs', async () => {
    const r = await runManifest(
      jobManifest({ spec: { completions: 2, parallelism: 2, completionMode: 'Indexed' }, script: 'sleep 0.5' }),
      ['--chaos', 'duplicate=1', '--chaos-max-delay', '100'],
    );
    expect(r.stderr).toMatch(/chaos: starting duplicate pod test-\d-[a-z0-9]{5} for index \d/);
    expect(r.code).toBe(0);
    expect(r.job.status?.succeeded).toBe(2);
    expect(r.job.status?.completedIndexes).toBe('0,1');
  });

  it('lands chaos while a pod works, not while it is still loading, and says where it landed', async () => {
    // 1.5 s of silent start-up (a program loading), then 3 s of work, one line per 100 ms.
    const script = 'sleep 1.5; i=0; while [ $i -lt 30 ]; do echo "item $i"; i=$((i+1)); sleep 0.1; done';
    for (const seed of ['7', '8', '9']) {
      const r = await runManifest(jobManifest({ spec: { backoffLimit: 3 }, script }), ['--chaos', 'kill=1', '--chaos-max-delay', '2000', '--seed', seed]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/chaos: kill of pod test-[a-z0-9]{5} landed mid-work \(after \d+ lines?\)/);
      expect(r.stderr).toContain('chaos: 1 of 1 chaos action landed mid-work');
    }
  });

  it('lets a duplicate pod race its original before the controller sees it', async () => {
    const script = 'echo start; sleep 4; echo done';
    const r = await runManifest(jobManifest({ spec: { completions: 1, completionMode: 'Indexed' }, script }), ['--chaos', 'duplicate=1', '--chaos-max-delay', '200']);
    expect(r.code, r.stderr).toBe(0);
    // Both pods printed their first line: they ran side by side on index 0.
    const started = new Set([...r.stderr.matchAll(/^\[(test-0-[a-z0-9]{5})\] start$/gm)].map((m) => m[1]));
    expect(started.size, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/chaos: duplicate of pod \S+ \(duplicate \S+\) landed mid-work/);
  });

  it('makes the same choices for the same seed', async () => {
    const manifest = jobManifest({ spec: { completions: 4, parallelism: 4, completionMode: 'Indexed' }, script: 'exec sleep 1' });
    const a = await runManifest(manifest, ['--chaos', 'kill=2', '--chaos-max-delay', '300']);
    const b = await runManifest(manifest, ['--chaos', 'kill=2', '--chaos-max-delay', '300']);
    const kills = (s: string): string[] => s.match(/chaos: SIGKILL pod \S+/g) ?? [];
    expect(kills(a.stderr)).toHaveLength(2);
    expect(kills(b.stderr)).toEqual(kills(a.stderr));
  });
});

describe('jobkit run: invalid manifests', () => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, string]> = [
    [
      'FailIndex without backoffLimitPerIndex',
      { podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [1] } }] } },
      {},
      'spec.podFailurePolicy.rules[0].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set',
    ],
    [
      'exit code 0 with In',
      { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 0] } }] } },
      {},
      'spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must not be 0 for the In operator',
    ],
    [
      'unsorted exit codes',
      { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [3, 2] } }] } },
      {},
      'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: [3,2]: must be ordered',
    ],
    [
      'duplicate exit codes',
      { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [2, 2] } }] } },
      {},
      'spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Duplicate value: 2',
    ],
    [
      'both onExitCodes and onPodConditions',
      {
        podFailurePolicy: {
          rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [1] }, onPodConditions: [{ type: 'DisruptionTarget' }] }],
        },
      },
      {},
      'spec.podFailurePolicy.rules[0]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported',
    ],
    ['restartPolicy Always', {}, { restartPolicy: 'Always' }, 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    [
      'podFailurePolicy with OnFailure',
      { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } },
      { restartPolicy: 'OnFailure' },
      'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
    ],
    [
      'successPolicy on a NonIndexed Job',
      { completions: 2, successPolicy: { rules: [{ succeededCount: 1 }] } },
      {},
      'spec.successPolicy: Invalid value: {"Rules":[{"SucceededIndexes":null,"SucceededCount":1}]}: requires indexed completion mode',
    ],
    ['Indexed without completions', { completionMode: 'Indexed', parallelism: 2 }, {}, 'spec.completions: Required value: when completion mode is Indexed'],
    [
      'maxFailedIndexes without backoffLimitPerIndex',
      { completionMode: 'Indexed', completions: 2, maxFailedIndexes: 1 },
      {},
      'spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified',
    ],
    ['negative parallelism', { parallelism: -1 }, {}, 'spec.parallelism: Invalid value: -1: must be greater than or equal to 0'],
  ];

  it.each(cases)('rejects %s with the field path, exit 2, and runs no pod', async (_name, spec, pod, message) => {
    const dir = tempDir();
    const marker = join(dir, 'ran');
    const r = await runManifest(jobManifest({ spec, pod, script: `touch ${marker}` }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Job.batch "test" is invalid: ');
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
    expect(existsSync(marker)).toBe(false);
  });
});
