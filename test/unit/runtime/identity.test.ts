import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { detectPlatform, resolveIdentity } from '../../../src/runtime/identity.ts';

const K8S = {
  JOB_COMPLETION_INDEX: '3',
  JOBKIT_COUNT: '8',
  JOBKIT_JOB_NAME: 'etl',
  JOBKIT_NAMESPACE: 'data',
  JOBKIT_POD_NAME: 'etl-3-x7k2p',
  JOBKIT_POD_UID: '6f1c0b3e-1111-2222-3333-444455556666',
  JOBKIT_NODE_NAME: 'node-a',
  JOBKIT_ATTEMPT: '2',
  KUBERNETES_SERVICE_HOST: '10.0.0.1',
};

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('resolveIdentity: platforms', () => {
  it('Kubernetes Indexed Job: index from JOB_COMPLETION_INDEX, the rest from the downward-API env', () => {
    expect(resolveIdentity(K8S)).toEqual({
      platform: 'kubernetes',
      jobName: 'etl',
      namespace: 'data',
      podName: 'etl-3-x7k2p',
      podUid: '6f1c0b3e-1111-2222-3333-444455556666',
      nodeName: 'node-a',
      index: 3,
      count: 8,
      attempt: 2,
      trigger: 'none',
    });
  });

  it('Kubernetes: falls back to the hostname <job>-<index> for the job name', () => {
    const id = resolveIdentity({ JOB_COMPLETION_INDEX: '12', JOBKIT_COUNT: '20', HOSTNAME: 'nightly-backfill-12' });
    expect(id).toMatchObject({ platform: 'kubernetes', jobName: 'nightly-backfill', index: 12, count: 20, attempt: undefined });
    expect(id.namespace).toBe('default');
    expect(id.podName).toBeUndefined();
  });

  it('Kubernetes NonIndexed Job: index 0 of 1, the hostname is the pod name', () => {
    const id = resolveIdentity({ KUBERNETES_SERVICE_HOST: '10.0.0.1', HOSTNAME: 'report-abc12' });
    expect(id).toMatchObject({ platform: 'kubernetes', jobName: 'report', podName: 'report-abc12', index: 0, count: 1 });
  });

  it('AWS Batch array child: parent id as job name, 1-based attempt made 0-based', () => {
    const id = resolveIdentity({
      AWS_BATCH_JOB_ID: 'a1b2c3d4-5678:7',
      AWS_BATCH_JOB_ARRAY_INDEX: '7',
      AWS_BATCH_JOB_ARRAY_SIZE: '10',
      AWS_BATCH_JOB_ATTEMPT: '1',
      AWS_BATCH_JQ_NAME: 'spot-queue',
    });
    expect(id).toMatchObject({ platform: 'aws-batch', jobName: 'a1b2c3d4-5678', podName: 'a1b2c3d4-5678:7', index: 7, count: 10, attempt: 0 });
  });

  it('AWS Batch single job: index 0 of 1', () => {
    expect(resolveIdentity({ AWS_BATCH_JOB_ID: 'abc', AWS_BATCH_JOB_ATTEMPT: '3' })).toMatchObject({ index: 0, count: 1, attempt: 2, jobName: 'abc' });
  });

  it('Cloud Run job', () => {
    const id = resolveIdentity({
      CLOUD_RUN_JOB: 'resize',
      CLOUD_RUN_EXECUTION: 'resize-abcde',
      CLOUD_RUN_TASK_INDEX: '4',
      CLOUD_RUN_TASK_COUNT: '5',
      CLOUD_RUN_TASK_ATTEMPT: '1',
    });
    expect(id).toMatchObject({ platform: 'cloud-run', jobName: 'resize', index: 4, count: 5, attempt: 1 });
  });

  it('Google Cloud Batch', () => {
    const id = resolveIdentity({ BATCH_TASK_INDEX: '2', BATCH_TASK_COUNT: '3', BATCH_TASK_RETRY_ATTEMPT: '0', JOBKIT_JOB_NAME: 'train' });
    expect(id).toMatchObject({ platform: 'cloud-batch', jobName: 'train', index: 2, count: 3, attempt: 0 });
  });

  it('Slurm array with a min and a step: index = (id - min) / step', () => {
    const id = resolveIdentity({
      SLURM_JOB_ID: '1009',
      SLURM_ARRAY_JOB_ID: '1000',
      SLURM_ARRAY_TASK_ID: '13',
      SLURM_ARRAY_TASK_MIN: '5',
      SLURM_ARRAY_TASK_MAX: '21',
      SLURM_ARRAY_TASK_STEP: '4',
      SLURM_ARRAY_TASK_COUNT: '5',
      SLURM_RESTART_COUNT: '1',
      SLURMD_NODENAME: 'cn042',
    });
    expect(id).toMatchObject({ platform: 'slurm', jobName: '1000', podName: '1009', nodeName: 'cn042', index: 2, count: 5, attempt: 1 });
  });

  it('Slurm array starting at 1 without a step', () => {
    const id = resolveIdentity({ SLURM_JOB_ID: '7', SLURM_ARRAY_JOB_ID: '6', SLURM_ARRAY_TASK_ID: '10', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '10' });
    expect(id).toMatchObject({ index: 9, count: 10 });
  });

  it('Slurm job without an array: index 0 of 1', () => {
    expect(resolveIdentity({ SLURM_JOB_ID: '77' })).toMatchObject({ platform: 'slurm', jobName: '77', index: 0, count: 1 });
  });

  it('local: index 0 of 1, default names', () => {
    expect(resolveIdentity({})).toEqual({
      platform: 'local',
      jobName: 'job',
      namespace: 'default',
      podName: undefined,
      podUid: undefined,
      nodeName: undefined,
      index: 0,
      count: 1,
      attempt: undefined,
      trigger: 'none',
    });
  });

  it('detects AWS Batch on EKS as AWS Batch, but an Indexed Job index always as Kubernetes', () => {
    expect(detectPlatform({ KUBERNETES_SERVICE_HOST: 'x', AWS_BATCH_JOB_ID: 'j' })).toBe('aws-batch');
    expect(detectPlatform({ JOB_COMPLETION_INDEX: '0', AWS_BATCH_JOB_ID: 'j' })).toBe('kubernetes');
  });
});

describe('resolveIdentity: precedence', () => {
  it('JOBKIT_INDEX / JOBKIT_COUNT override the platform, code options override env', () => {
    const env = { ...K8S, JOBKIT_INDEX: '5' };
    expect(resolveIdentity(env)).toMatchObject({ index: 5, count: 8 });
    expect(resolveIdentity(env, { index: 1, count: 2, jobName: 'from-code', attempt: 0 })).toMatchObject({
      index: 1,
      count: 2,
      jobName: 'from-code',
      attempt: 0,
    });
    expect(resolveIdentity({ CLOUD_RUN_JOB: 'x', CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '2', JOBKIT_COUNT: '4' }).count).toBe(4);
  });

  it('JOBKIT_PLATFORM and the platform option skip detection (code wins)', () => {
    expect(resolveIdentity({ JOB_COMPLETION_INDEX: '3' }, { platform: 'local' })).toMatchObject({ platform: 'local', index: 0 });
    expect(resolveIdentity({ JOB_COMPLETION_INDEX: '3', JOBKIT_PLATFORM: 'local' })).toMatchObject({ platform: 'local', index: 0 });
    expect(resolveIdentity({ JOBKIT_PLATFORM: 'local' }, { platform: 'slurm' }).platform).toBe('slurm');
  });

  it('returns a frozen identity', () => {
    expect(Object.isFrozen(resolveIdentity({}))).toBe(true);
  });
});

describe('resolveIdentity: bad values stop the job with a message naming the variable and value', () => {
  it.each([
    [{ JOBKIT_INDEX: 'abc' }, 'JOBKIT_INDEX must be a non-negative integer, got "abc"'],
    [{ JOBKIT_INDEX: '-1' }, 'JOBKIT_INDEX must be a non-negative integer, got "-1"'],
    [{ JOBKIT_INDEX: '1.5' }, 'JOBKIT_INDEX must be a non-negative integer, got "1.5"'],
    [{ JOBKIT_COUNT: 'ten' }, 'JOBKIT_COUNT must be a non-negative integer, got "ten"'],
    [{ JOBKIT_COUNT: '0' }, 'JOBKIT_COUNT must be an integer >= 1, got "0"'],
    [{ JOBKIT_ATTEMPT: 'x' }, 'JOBKIT_ATTEMPT must be a non-negative integer, got "x"'],
    [{ JOBKIT_PLATFORM: 'nomad' }, 'JOBKIT_PLATFORM must be one of kubernetes, aws-batch, cloud-run, cloud-batch, slurm, argo, jobset, local, got "nomad"'],
    [{ JOB_COMPLETION_INDEX: 'three' }, 'JOB_COMPLETION_INDEX must be a non-negative integer, got "three"'],
    [{ AWS_BATCH_JOB_ID: 'j', AWS_BATCH_JOB_ARRAY_INDEX: '-2' }, 'AWS_BATCH_JOB_ARRAY_INDEX must be a non-negative integer, got "-2"'],
    [{ AWS_BATCH_JOB_ID: 'j', AWS_BATCH_JOB_ARRAY_SIZE: '0' }, 'AWS_BATCH_JOB_ARRAY_SIZE must be an integer >= 1, got "0"'],
    [{ AWS_BATCH_JOB_ID: 'j', AWS_BATCH_JOB_ATTEMPT: '0' }, 'AWS_BATCH_JOB_ATTEMPT must be an integer >= 1, got "0"'],
    [{ CLOUD_RUN_JOB: 'r', CLOUD_RUN_TASK_INDEX: 'x' }, 'CLOUD_RUN_TASK_INDEX must be a non-negative integer, got "x"'],
    [{ CLOUD_RUN_JOB: 'r', CLOUD_RUN_TASK_COUNT: '0' }, 'CLOUD_RUN_TASK_COUNT must be an integer >= 1, got "0"'],
    [{ CLOUD_RUN_JOB: 'r', CLOUD_RUN_TASK_ATTEMPT: '-1' }, 'CLOUD_RUN_TASK_ATTEMPT must be a non-negative integer, got "-1"'],
    [{ BATCH_TASK_INDEX: '1x' }, 'BATCH_TASK_INDEX must be a non-negative integer, got "1x"'],
    [{ BATCH_TASK_INDEX: '0', BATCH_TASK_COUNT: '0' }, 'BATCH_TASK_COUNT must be an integer >= 1, got "0"'],
    [{ BATCH_TASK_INDEX: '0', BATCH_TASK_RETRY_ATTEMPT: 'y' }, 'BATCH_TASK_RETRY_ATTEMPT must be a non-negative integer, got "y"'],
    [{ SLURM_JOB_ID: '1', SLURM_ARRAY_TASK_ID: 'a' }, 'SLURM_ARRAY_TASK_ID must be a non-negative integer, got "a"'],
    [{ SLURM_JOB_ID: '1', SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_STEP: '0' }, 'SLURM_ARRAY_TASK_STEP must be an integer >= 1, got "0"'],
    [{ SLURM_JOB_ID: '1', SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: 'z' }, 'SLURM_ARRAY_TASK_MIN must be a non-negative integer, got "z"'],
    [{ SLURM_JOB_ID: '1', SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '0' }, 'SLURM_ARRAY_TASK_COUNT must be an integer >= 1, got "0"'],
    [{ SLURM_JOB_ID: '1', SLURM_RESTART_COUNT: '-1' }, 'SLURM_RESTART_COUNT must be a non-negative integer, got "-1"'],
  ])('%o', (env, message) => {
    expect(configError(() => resolveIdentity(env))).toBe(message);
  });

  it('index >= count names both sources', () => {
    expect(configError(() => resolveIdentity({ JOB_COMPLETION_INDEX: '8', JOBKIT_COUNT: '8' }))).toMatch(
      /^JOB_COMPLETION_INDEX=8 is out of range: the index must be < the count \(JOBKIT_COUNT=8\)/,
    );
    expect(configError(() => resolveIdentity({ JOBKIT_INDEX: '2' }))).toMatch(/^JOBKIT_INDEX=2 is out of range.*the default count 1/);
    expect(configError(() => resolveIdentity({ CLOUD_RUN_JOB: 'r', CLOUD_RUN_TASK_INDEX: '5', CLOUD_RUN_TASK_COUNT: '5' }))).toMatch(
      /CLOUD_RUN_TASK_INDEX=5 .*CLOUD_RUN_TASK_COUNT=5/,
    );
    expect(configError(() => resolveIdentity({}, { index: 3, count: 3 }))).toMatch(/^option index=3 is out of range.*option count=3/);
  });

  it('a Slurm task id off the array grid', () => {
    expect(
      configError(() => resolveIdentity({ SLURM_JOB_ID: '1', SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_STEP: '4' })),
    ).toMatch(/^SLURM_ARRAY_TASK_ID=6 is not on the array grid SLURM_ARRAY_TASK_MIN=5, SLURM_ARRAY_TASK_STEP=4/);
    expect(configError(() => resolveIdentity({ SLURM_JOB_ID: '1', SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '1' }))).toMatch(/not on the array grid/);
  });

  it.each([
    [{ index: -1 }, 'option index must be an integer >= 0, got -1'],
    [{ index: 0.5 }, 'option index must be an integer >= 0, got 0.5'],
    [{ count: 0 }, 'option count must be an integer >= 1, got 0'],
    [{ count: Number.NaN }, 'option count must be an integer >= 1, got NaN'],
    [{ attempt: -3 }, 'option attempt must be an integer >= 0, got -3'],
    [{ jobName: ' ' }, 'option jobName must be a non-empty string, got " "'],
  ])('code option %o', (options, message) => {
    expect(configError(() => resolveIdentity({}, options))).toBe(message);
  });
});
