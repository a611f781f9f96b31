/**
 * jobkit lint: what a cluster accepts but a jobkit program would get wrong,
 * on manifests in fixtures/lint (clean.yaml is `jobkit manifest` output).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type LintProblem, lintManifest } from '../../../src/cli/lint.ts';
import { generateCronJobManifest } from '../../../src/local/cronjob/manifest.ts';
import { generateJobManifest } from '../../../src/local/manifest-generator.ts';
import type { Job } from '../../../src/local/types.ts';

const fixture = (name: string): string => readFileSync(new URL(`fixtures/lint/${name}.yaml`, import.meta.url), 'utf8');
const errors = (problems: readonly LintProblem[]): string[] => problems.filter((p) => p.severity === 'error').map((p) => `${p.path}: ${p.message}`);
const env = 'spec.template.spec.containers[0].env';

/** A generated manifest, edited. */
function edited(edit: (job: Job) => void, options: Partial<Parameters<typeof generateJobManifest>[0]> = {}): string {
  const job = generateJobManifest({ name: 'rows', image: 'i', command: ['node', 'job.js'], completions: 4, store: 's3://rows-bucket/jobs', ...options });
  edit(job);
  return stringify(job);
}

describe('jobkit lint', () => {
  it('finds nothing in what jobkit manifest generates', () => {
    expect(lintManifest(fixture('clean'))).toEqual([]);
    for (const options of [{ completions: 1 }, { backoffLimit: 2 }, { gracePeriodSeconds: 5 }, { activeDeadlineSeconds: 100, deadlineSeconds: 60 }]) {
      expect(lintManifest(edited(() => undefined, options))).toEqual([]);
    }
  });

  it('refuses completions edited to 3 with JOBKIT_COUNT "4" left in place, naming both values', () => {
    expect(errors(lintManifest(fixture('count-mismatch')))).toEqual([
      `${env}[6].value: Invalid value: "4": JOBKIT_COUNT is 4 but spec.completions is 3: the input would be split into 4 shards and shard 3 never processed while the Job reports Complete; set both to the same number`,
    ]);
  });

  it('refuses an env name set twice, and checks the count the kubelet would use (the last)', () => {
    const found = errors(lintManifest(fixture('duplicate-env')));
    expect(found[0]).toBe(`${env}[8].name: Invalid value: "JOBKIT_COUNT": set twice (env[6] = "4" and env[8] = "3"): the API server only warns and the kubelet uses the last one; keep one`);
    expect(found[1]).toContain('JOBKIT_COUNT is 3 but spec.completions is 4');
    expect(found).toHaveLength(2);
  });

  it('refuses an Indexed Job of several completions without JOBKIT_COUNT', () => {
    const text = edited((job) => void (job.spec.template.spec.containers[0]!.env = job.spec.template.spec.containers[0]!.env!.filter((e) => e.name !== 'JOBKIT_COUNT')));
    expect(errors(lintManifest(text))).toEqual([`${env}: JOBKIT_COUNT is not set but spec.completions is 4: the runtime counts 1 index and every index but 0 exits 78; set JOBKIT_COUNT to "4"`]);
  });

  it('compares the podFailurePolicy with the exit-code table', () => {
    expect(errors(lintManifest(fixture('policy-mismatch')))).toEqual([
      'spec.podFailurePolicy: exit code 75 (retryable) gets Ignore, the exit-code table wants Count',
      'spec.podFailurePolicy: exit code 78 (configuration) gets Count, the exit-code table wants FailJob',
      'spec.podFailurePolicy: a preempted pod (DisruptionTarget, exit 143) gets Count, not Ignore: preemptions would burn retries; put an Ignore rule on DisruptionTarget first',
    ]);
    // 69 is exited only by programs using the single-run guard: a policy
    // written before it existed gets a warning, not a refusal.
    const warnings = lintManifest(fixture('policy-mismatch')).filter((p) => p.severity === 'warning');
    expect(warnings.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'spec.podFailurePolicy: exit code 69 (busy) gets Count, the exit-code table wants FailJob; only a program using the single-run guard ' +
        '(job.exclusive, runJob({ exclusive })) exits 69: add the rule if this one does (jobkit manifest writes it)',
    ]);
    const without69 = edited((job) => {
      for (const rule of job.spec.podFailurePolicy!.rules) {
        if (rule.onExitCodes !== undefined) rule.onExitCodes.values = rule.onExitCodes.values.filter((code) => code !== 69);
      }
      job.spec.podFailurePolicy!.rules = job.spec.podFailurePolicy!.rules.filter((rule) => rule.onExitCodes === undefined || rule.onExitCodes.values.length > 0);
    });
    expect(lintManifest(without69).map((p) => `${p.severity} ${p.message}`)).toEqual([expect.stringMatching(/^warning exit code 69 \(busy\) gets Count/)]);
    // Mapped to something other than FailJob on purpose is still an error.
    const ignored69 = edited((job) => job.spec.podFailurePolicy!.rules.unshift({ action: 'Ignore', onExitCodes: { containerName: 'main', operator: 'In', values: [69] } }));
    expect(errors(lintManifest(ignored69))).toEqual(['spec.podFailurePolicy: exit code 69 (busy) gets Ignore, the exit-code table wants FailJob']);
    const none = edited((job) => void delete job.spec.podFailurePolicy);
    expect(errors(lintManifest(none))).toEqual([expect.stringMatching(/^spec\.podFailurePolicy: not set: every jobkit exit code counts as a retry/)]);
    // FailIndex needs per-index retries: without them the table's FailIndex codes must fail the Job.
    const perIndexPolicyWithoutPerIndex = edited((job) => {
      delete job.spec.backoffLimitPerIndex;
      job.spec.backoffLimit = 3;
    });
    expect(errors(lintManifest(perIndexPolicyWithoutPerIndex))).toEqual([
      'spec.podFailurePolicy: exit code 65 (permanent) gets FailIndex, the exit-code table wants FailJob (FailIndex without backoffLimitPerIndex)',
    ]);
  });

  it('checks the grace period, the deadline and the store', () => {
    expect(errors(lintManifest(fixture('timing-and-store')))).toEqual([
      `${env}[7].value: JOBKIT_GRACE_PERIOD_SECONDS is 30 but terminationGracePeriodSeconds is 10: SIGKILL would cut the final checkpoint; set both to the same number`,
      `${env}[8].value: JOBKIT_DEADLINE_SECONDS (3600) is not below spec.activeDeadlineSeconds (3600): Kubernetes would stop the Job before jobkit's deadline saves a checkpoint; set it lower by at least the grace period`,
      `${env}: JOBKIT_STORE is not set for a Job of 4 pods (parallelism 4, completions 4): each pod would keep checkpoints and idempotency records on its own disk, unseen by retries on other nodes; set JOBKIT_STORE=s3://bucket/prefix`,
    ]);
    // Under jobkit run the local pods share the default store: a warning only.
    const local = lintManifest(fixture('timing-and-store'), { local: true });
    expect(local.find((p) => p.message.startsWith('JOBKIT_STORE is not set'))?.severity).toBe('warning');
    const short = edited((job) => void (job.spec.template.spec.terminationGracePeriodSeconds = 3));
    expect(errors(lintManifest(short))).toContain('spec.template.spec.terminationGracePeriodSeconds: 3 s is shorter than the 5 s the final checkpoint and the shutdown hooks need after SIGTERM');
    const slowSave = edited((job) => void job.spec.template.spec.containers[0]!.env!.push({ name: 'JOBKIT_CHECKPOINT_FINAL_SAVE_SECONDS', value: '40' }));
    expect(errors(lintManifest(slowSave))).toEqual([
      'spec.template.spec.terminationGracePeriodSeconds: 30 s leaves 27 s for the shutdown after the safety margin, but the final checkpoint may take 40 s (JOBKIT_CHECKPOINT_FINAL_SAVE_SECONDS): raise the grace period or lower that budget',
    ]);
  });

  it('refuses JOBKIT_* values the program would refuse at start and warns about unknown names', () => {
    const found = lintManifest(fixture('env-values'));
    expect(errors(found)).toEqual([`${env}[11].value: JOBKIT_CHECKPOINT_KEEP must be an integer >= 1, got "-1" (the program would exit 78 at start)`]);
    expect(found.filter((p) => p.severity === 'warning').map((p) => p.message)).toEqual([
      'JOBKIT_CHEKPOINT_EVERY_ITEMS is not a jobkit setting and is ignored (did you mean JOBKIT_CHECKPOINT_EVERY_ITEMS?)',
    ]);
  });

  it('refuses what jobkit exec would refuse before the program starts: its flags, its JOBKIT_EXEC_* values, no program', () => {
    const exec = (command: string[], args: string[] | undefined, extraEnv: { name: string; value: string }[] = []): string[] =>
      errors(
        lintManifest(
          edited((job) => {
            const c = job.spec.template.spec.containers[0]!;
            c.command = command;
            if (args === undefined) delete c.args;
            else c.args = args;
            c.env = [...(c.env ?? []), ...extraEnv];
          }),
        ),
      );
    expect(exec(['jobkit', 'exec', '--checkpoint-every=300', '--'], ['python3', 'train.py'])).toEqual([]);
    expect(exec(['jobkit', 'exec', '--checkpoint-every=soon', '--'], ['python3', 'train.py'])).toEqual([
      expect.stringMatching(/^spec\.template\.spec\.containers\[0\]\.command: jobkit exec: --checkpoint-every .*soon.*\(it would exit 78 before starting the program\)$/) as string,
    ]);
    expect(exec(['/usr/local/bin/jobkit', 'exec', '--logz', 'raw', '--'], ['python3'])).toEqual([expect.stringContaining("jobkit exec: Unknown option '--logz'") as string]);
    expect(exec(['jobkit', 'exec', '--'], undefined)).toEqual([
      'spec.template.spec.containers[0].args: jobkit exec has no program to run: put it after "--" (in args, or at the end of command)',
    ]);
    const bad = exec(['jobkit', 'exec', '--'], ['python3'], [{ name: 'JOBKIT_EXEC_LOGS', value: 'yaml' }]);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/env\[\d+\]\.value: JOBKIT_EXEC_LOGS .*yaml.*\(the program would exit 78 at start\)$/);
  });

  it('leaves containers that are not jobkit programs to the env-name checks', () => {
    const plain = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'p' }, spec: { completions: 3, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', command: ['true'], env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] }] } } } };
    expect(errors(lintManifest(JSON.stringify(plain)))).toEqual([
      'spec.template.spec.containers[0].env[1].name: Invalid value: "A": set twice (env[0] = "1" and env[1] = "2"): the API server only warns and the kubelet uses the last one; keep one',
    ]);
    expect(lintManifest('a: [')).toEqual([{ path: '<manifest>', message: expect.stringContaining('not valid YAML') as string, severity: 'error' }]);
    expect(parse(fixture('clean'))).toBeTruthy();
  });
});

describe('jobkit lint on a CronJob', () => {
  it('lints the job template as the Job it becomes, with paths under spec.jobTemplate', () => {
    const cronJob = generateCronJobManifest({ name: 'rows', image: 'i', command: ['node', 'job.js'], completions: 4, store: 's3://rows-bucket/jobs', schedule: '0 2 * * *' });
    expect(lintManifest(stringify(cronJob))).toEqual([]);
    const template = (cronJob['spec'] as { jobTemplate: { spec: Job['spec'] } }).jobTemplate.spec;
    template.completions = 3;
    expect(errors(lintManifest(stringify(cronJob)))).toEqual([
      expect.stringMatching(/^spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.env\[\d+\]\.value: Invalid value: "4": JOBKIT_COUNT is 4 but spec\.completions is 3/),
    ]);
  });
});
