/**
 * The platform generators of `jobkit manifest --platform`: retry rules derived
 * from the exit-code table, the services' limits, and the refusal of options
 * a platform has no place for (exit 2, nothing written). The outputs are
 * checked against the published schemas in test/integration/platforms/.
 */
import { describe, expect, it } from 'vitest';
import { manifestCommand } from '../../../src/cli/manifest-command.ts';
import { EXIT_CODE_TABLE } from '../../../src/runtime/exit-codes.ts';
import { generateJobManifest } from '../../../src/local/manifest-generator.ts';
import { argoRetryExpression, generateArgoWorkflow } from '../../../src/local/platforms/argo.ts';
import { AWS_BATCH_MAX_EVALUATE_ON_EXIT, awsBatchEvaluateOnExit, generateAwsBatchJobDefinition } from '../../../src/local/platforms/aws-batch.ts';
import { CLOUD_BATCH_PREEMPTED_EXIT_CODE, generateCloudBatchJob } from '../../../src/local/platforms/cloud-batch.ts';
import { generateJobSet } from '../../../src/local/platforms/jobset.ts';
import { type Captured, captureOutput } from '../../support/capture-output.ts';

const NEVER_RETRIED = EXIT_CODE_TABLE.filter((e) => e.action === 'FailJob' || e.action === 'FailIndex').map((e) => e.code);
const RETRIED = EXIT_CODE_TABLE.filter((e) => e.action === 'Count' || e.action === 'Ignore').map((e) => e.code);
const BASE = { name: 'etl', image: 'acme/etl:1', command: ['node', 'main.js'] } as const;

function run(argv: readonly string[]): Captured<number> {
  return captureOutput(() => manifestCommand(argv));
}

describe('kubernetes stays the default', () => {
  it('--platform kubernetes writes byte for byte what no --platform writes', () => {
    const argv = ['--name', 'etl', '--image', 'acme/etl:1', '--completions', '4', '--', 'node', 'main.js'];
    const plain = run(argv);
    expect(plain.status).toBe(0);
    expect(run(['--platform', 'kubernetes', ...argv]).stdout).toBe(plain.stdout);
  });

  it('refuses a JobSet-only option', () => {
    const r = run(['--name', 'etl', '--image', 'x', '--max-restarts', '1']);
    expect(r).toMatchObject({ status: 2, stdout: '' });
    expect(r.stderr).toContain('--max-restarts is not supported with --platform kubernetes');
  });
});

describe('aws-batch', () => {
  it('retries host terminations first, exits on the codes no retry helps, within the 5-rule limit', () => {
    const rules = awsBatchEvaluateOnExit();
    expect(rules[0]).toEqual({ onStatusReason: 'Host EC2*', action: 'RETRY' });
    expect(rules.length).toBeLessThanOrEqual(AWS_BATCH_MAX_EVALUATE_ON_EXIT);
    expect(rules.slice(1).map((r) => Number(r.onExitCode))).toEqual([...NEVER_RETRIED].sort((a, b) => a - b));
    expect(rules.slice(1).every((r) => r.action === 'EXIT')).toBe(true);
    // The default for an unmatched exit is RETRY: no retried code may be caught by a rule.
    for (const code of RETRIED) expect(rules.some((r) => r.onExitCode !== undefined && new RegExp(`^${r.onExitCode.replace('*', '.*')}$`).test(String(code)))).toBe(false);
  });

  it('writes onExitCode as digits with at most a trailing *, and status reasons the service accepts', () => {
    for (const r of awsBatchEvaluateOnExit()) {
      if (r.onExitCode !== undefined) expect(r.onExitCode).toMatch(/^[0-9]+\*?$|^\*$/);
      if (r.onStatusReason !== undefined) expect(r.onStatusReason).toMatch(/^[A-Za-z0-9.: \t]*\*?$/);
      for (const p of [r.onExitCode, r.onStatusReason, r.onReason]) if (p !== undefined) expect(p.length).toBeLessThanOrEqual(512);
    }
  });

  it('attempts = retries per index + 1, at most 10', () => {
    expect(generateAwsBatchJobDefinition(BASE).retryStrategy.attempts).toBe(4);
    expect(generateAwsBatchJobDefinition({ ...BASE, backoffLimitPerIndex: 9 }).retryStrategy.attempts).toBe(10);
    expect(() => generateAwsBatchJobDefinition({ ...BASE, backoffLimitPerIndex: 10 })).toThrow('--backoff-limit-per-index must be <= 9 with --platform aws-batch');
  });

  it('--active-deadline is the per-attempt timeout, at least 60 s', () => {
    expect(generateAwsBatchJobDefinition({ ...BASE, activeDeadlineSeconds: 600 }).timeout).toEqual({ attemptDurationSeconds: 600 });
    expect(() => generateAwsBatchJobDefinition({ ...BASE, activeDeadlineSeconds: 30 })).toThrow('--active-deadline must be an integer >= 60 with --platform aws-batch');
  });

  it('carries the work env and no Kubernetes identity variable (Batch sets its own)', () => {
    const def = generateAwsBatchJobDefinition({ ...BASE, store: 's3://acme-jobs/etl', env: [['BATCH', '5']] });
    expect(def.containerProperties.environment.map((e) => e.name)).toEqual(['JOBKIT_GRACE_PERIOD_SECONDS', 'JOBKIT_STORE', 'BATCH']);
  });

  it('an array job: the size goes to SubmitJob, said on stderr', () => {
    const r = run(['--platform', 'aws-batch', '--name', 'etl', '--image', 'x', '--completions', '8']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('--array-properties size=8');
    expect(r.stdout).not.toContain('arrayProperties');
  });
});

describe('cloud-batch', () => {
  it('one FAIL_TASK lifecycle policy (Batch supports one) on the codes no retry helps; 50001 is retried', () => {
    const job = generateCloudBatchJob({ ...BASE, completions: 4, backoffLimitPerIndex: 2 });
    const spec = job.taskGroups[0]?.taskSpec;
    expect(spec?.lifecyclePolicies).toEqual([{ action: 'FAIL_TASK', actionCondition: { exitCodes: [...NEVER_RETRIED].sort((a, b) => a - b) } }]);
    expect(spec?.lifecyclePolicies[0]?.actionCondition.exitCodes).not.toContain(CLOUD_BATCH_PREEMPTED_EXIT_CODE);
    expect(spec?.maxRetryCount).toBe(2);
    expect(job.taskGroups[0]).toMatchObject({ taskCount: 4, parallelism: 4 });
    expect(spec?.runnables[0]?.container).toEqual({ imageUri: 'acme/etl:1', entrypoint: 'node', commands: ['main.js'] });
  });

  it('maxRetryCount is 0..10', () => {
    expect(() => generateCloudBatchJob({ ...BASE, backoffLimitPerIndex: 11 })).toThrow('--backoff-limit-per-index must be <= 10 with --platform cloud-batch');
  });

  it('gcp-batch is an alias', () => {
    const a = run(['--platform', 'gcp-batch', '--name', 'etl', '--image', 'x']);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(run(['--platform', 'cloud-batch', '--name', 'etl', '--image', 'x']).stdout);
  });
});

describe('argo', () => {
  it('retries unless the exit code is one no retry helps', () => {
    expect(argoRetryExpression()).toBe(`!(lastRetry.exitCode in [${[...NEVER_RETRIED].sort((a, b) => a - b).map((c) => `'${c}'`).join(', ')}])`);
    const wf = generateArgoWorkflow({ ...BASE, backoffLimitPerIndex: 5 });
    expect(wf.spec.templates).toHaveLength(1);
    expect(wf.spec.templates[0]).toMatchObject({ name: 'work', retryStrategy: { limit: '5', retryPolicy: 'Always', expression: argoRetryExpression() } });
  });

  it('fans out with withSequence and the parallelism for several completions', () => {
    const wf = generateArgoWorkflow({ ...BASE, completions: 6, parallelism: 2 });
    expect(wf.spec.entrypoint).toBe('indexes');
    expect(wf.spec.templates[0]).toMatchObject({ parallelism: 2, steps: [[{ template: 'work', withSequence: { count: '6' } }]] });
  });
});

describe('jobset', () => {
  it("the replicated Job's template is the Kubernetes Job's spec, podFailurePolicy included", () => {
    const js = generateJobSet({ ...BASE, completions: 4 });
    const job = generateJobManifest({ ...BASE, completions: 4 });
    const spec = js.spec.replicatedJobs[0]?.template.spec;
    expect(spec?.podFailurePolicy).toEqual(job.spec.podFailurePolicy);
    expect({ ...spec, template: undefined }).toEqual({ ...job.spec, template: undefined });
    expect(js.spec.failurePolicy).toEqual({ maxRestarts: 0, rules: [{ name: 'NoRetryHelps', action: 'FailJobSet', onJobFailureReasons: ['PodFailurePolicy', 'FailedIndexes', 'MaxFailedIndexesExceeded'] }] });
  });

  it('--ttl goes to the JobSet, not its Jobs; --max-restarts to the failure policy', () => {
    const js = generateJobSet({ ...BASE, ttlSecondsAfterFinished: 60, maxRestarts: 2 });
    expect(js.spec.ttlSecondsAfterFinished).toBe(60);
    expect(js.spec.replicatedJobs[0]?.template.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(js.spec.failurePolicy.maxRestarts).toBe(2);
  });

  it('refuses a name whose pod hostnames would not fit', () => {
    expect(() => generateJobSet({ ...BASE, name: 'a'.repeat(55), completions: 10 })).toThrow('fits in 63 characters with --platform jobset');
  });
});

describe('options a platform has no place for: exit 2, the option and the platform named, nothing written', () => {
  it.each([
    ['aws-batch', ['--namespace', 'prod'], '--namespace is not supported with --platform aws-batch'],
    ['aws-batch', ['--parallelism', '2'], '--parallelism is not supported with --platform aws-batch'],
    ['aws-batch', ['--backoff-limit', '2'], '--backoff-limit is not supported with --platform aws-batch'],
    ['cloud-batch', ['--ttl', '60'], '--ttl is not supported with --platform cloud-batch'],
    ['cloud-batch', ['--container-name', 'app'], '--container-name is not supported with --platform cloud-batch'],
    ['argo', ['--max-failed-indexes', '1', '--completions', '4'], '--max-failed-indexes is not supported with --platform argo'],
    ['argo', ['--max-restarts', '1'], '--max-restarts is not supported with --platform argo'],
    ['jobset', ['--schedule', '@daily'], '--schedule is not supported with --platform jobset'],
    ['nomad', [], '--platform must be one of kubernetes, aws-batch, cloud-batch, argo, jobset, got "nomad"'],
  ])('%s %j', (platform, args, message) => {
    const r = run(['--platform', platform, '--name', 'etl', '--image', 'x', ...args]);
    expect(r).toMatchObject({ status: 2, stdout: '' });
    expect(r.stderr).toContain(message);
  });
});
