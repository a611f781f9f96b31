/**
 * The emulated Job controller against hand-driven pods and a fake clock,
 * modelled on pkg/controller/job unit tests: counting, precedence, interim and
 * terminal conditions, replacement policy, back-off, per-index counts.
 */
import { describe, expect, it } from 'vitest';
import { JobController, type PodControl, generateNamePrefix } from '../../../src/local/controller.ts';
import type { LocalPod } from '../../../src/local/pod.ts';
import { readJob } from '../../../src/local/read-manifest.ts';
import { SeededRandom } from '../../../src/local/rng.ts';
import { applyJobDefaults, validateJob } from '../../../src/local/validate.ts';

class Harness {
  time = 1_000_000;
  readonly requeues: number[] = [];
  readonly deleted: LocalPod[] = [];
  readonly controller: JobController;

  constructor(spec: Record<string, unknown>, pod: Record<string, unknown> = {}) {
    const raw = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'job' },
      spec: { ...spec, template: { spec: { restartPolicy: 'Never', ...pod, containers: [{ name: 'main', image: 'x', command: ['true'] }] } } },
    };
    const { job, errors } = readJob(raw);
    applyJobDefaults(job, { uid: 'uid-1', now: new Date(this.time), nameSuffix: 'abcde' });
    errors.push(...validateJob(job));
    expect(errors).toEqual([]);
    const control: PodControl = {
      startPod: (p) => {
        p.phase = 'Running';
        p.ready = true;
        p.readySince = this.time;
      },
      deletePod: (p) => {
        p.deletionTime = this.time;
        this.deleted.push(p);
      },
    };
    this.controller = new JobController({
      job,
      podControl: control,
      random: new SeededRandom(1),
      now: () => this.time,
      requeueAfter: (ms) => this.requeues.push(ms),
    });
  }

  sync(): this {
    this.controller.sync();
    return this;
  }

  get pods(): LocalPod[] {
    return this.controller.pods;
  }

  running(): LocalPod[] {
    return this.pods.filter((p) => p.phase === 'Running' && p.deletionTime === undefined);
  }

  podOf(index: number): LocalPod {
    const pod = this.running().find((p) => p.index === index);
    if (pod === undefined) throw new Error(`no running pod for index ${index}`);
    return pod;
  }

  exit(pod: LocalPod, exitCode: number): this {
    pod.container.terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: this.time };
    pod.phase = exitCode === 0 ? 'Succeeded' : 'Failed';
    pod.ready = false;
    return this;
  }

  status() {
    return this.controller.status();
  }

  conditionTypes(): string[] {
    return (this.status().conditions ?? []).map((c) => `${c.type}:${c.reason ?? ''}`);
  }
}

describe('JobController', () => {
  it('creates parallelism pods with the lowest free indexes first', () => {
    const h = new Harness({ completions: 5, parallelism: 2, completionMode: 'Indexed' }).sync();
    expect(h.running().map((p) => p.index)).toEqual([0, 1]);
    h.exit(h.podOf(1), 0).sync();
    expect(h.running().map((p) => p.index)).toEqual([0, 2]);
    expect(h.status().completedIndexes).toBe('1');
    expect(h.status().active).toBe(2);
    expect(h.podOf(2).name).toMatch(/^job-2-[a-z0-9]{5}$/);
    expect(h.podOf(2).hostname).toBe('job-2');
    expect(h.podOf(2).labels['batch.kubernetes.io/job-completion-index']).toBe('2');
  });

  it('counts only the first success of an index', () => {
    const h = new Harness({ completions: 2, parallelism: 2, completionMode: 'Indexed' }).sync();
    const first = h.podOf(0);
    const dup = h.controller.newPod(h.time, 0);
    dup.phase = 'Running';
    h.pods.push(dup);
    h.exit(first, 0).exit(dup, 0).sync();
    expect(h.status().succeeded).toBe(1);
    expect(h.status().completedIndexes).toBe('0');
  });

  it('deletes duplicate active pods of an index without counting them', () => {
    const h = new Harness({ completions: 2, parallelism: 2, completionMode: 'Indexed' }).sync();
    const dup = h.controller.newPod(h.time + 1, 0);
    dup.phase = 'Running';
    h.pods.push(dup);
    h.sync();
    expect(h.deleted).toEqual([dup]);
    h.exit(dup, 143).sync();
    expect(h.status().failed).toBeUndefined();
  });

  it('holds the terminal condition until terminating pods are gone (FailureTarget first)', () => {
    const h = new Harness({ completions: 2, parallelism: 2, backoffLimit: 0 }).sync();
    const [a, b] = h.running();
    h.exit(a!, 1).sync();
    expect(h.conditionTypes()).toEqual(['FailureTarget:BackoffLimitExceeded']);
    expect(h.status().terminating).toBe(1);
    expect(h.status().failed).toBe(2);
    expect(h.controller.isFinished).toBe(false);
    h.exit(b!, 143).sync();
    expect(h.conditionTypes()).toEqual(['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
    expect(h.status().failed).toBe(2);
    expect(h.status().terminating).toBe(0);
    expect(h.status().completionTime).toBeUndefined();
  });

  it('prefers a FailJob match over the backoff limit in the same sync', () => {
    const h = new Harness({
      completions: 2,
      parallelism: 2,
      backoffLimit: 0,
      podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [5] } }] },
    }).sync();
    const [a, b] = h.running();
    h.exit(a!, 7).exit(b!, 5).sync();
    expect(h.conditionTypes()).toEqual(['FailureTarget:PodFailurePolicy', 'Failed:PodFailurePolicy']);
    expect(h.status().conditions![0]!.message).toBe(`Container main for pod default/${b!.name} failed with exit code 5 matching FailJob rule at index 0`);
  });

  it('prefers the backoff limit over the deadline', () => {
    const h = new Harness({ backoffLimit: 0, activeDeadlineSeconds: 10 }).sync();
    h.time += 20_000;
    h.exit(h.running()[0]!, 1).sync();
    expect(h.conditionTypes()[0]).toBe('FailureTarget:BackoffLimitExceeded');
  });

  it('requeues at the deadline and fails with DeadlineExceeded', () => {
    const h = new Harness({ activeDeadlineSeconds: 10 }).sync();
    expect(h.requeues).toContain(10_000);
    h.time += 10_000;
    h.sync();
    expect(h.conditionTypes()).toEqual(['FailureTarget:DeadlineExceeded']);
    expect(h.deleted).toHaveLength(1);
  });

  it('replaces a deleted pod at once with TerminatingOrFailed and counts it as failed', () => {
    const h = new Harness({ completions: 1 }).sync();
    const pod = h.running()[0]!;
    pod.deletionTime = h.time;
    h.sync();
    expect(h.status().failed).toBe(1);
    // Back-off first: one failure means 10 s.
    expect(h.running()).toHaveLength(0);
    expect(h.requeues.at(-1)).toBe(10_000);
    h.time += 10_000;
    h.sync();
    expect(h.running()).toHaveLength(1);
    expect(pod.phase).toBe('Running');
  });

  it('waits for a terminating pod to finish with podReplacementPolicy Failed', () => {
    const h = new Harness({ completions: 1, podReplacementPolicy: 'Failed' }).sync();
    const pod = h.running()[0]!;
    pod.deletionTime = h.time;
    h.sync();
    expect(h.status().failed).toBeUndefined();
    expect(h.status().terminating).toBe(1);
    h.time += 60_000;
    h.sync();
    expect(h.running()).toHaveLength(0);
    h.exit(pod, 143).sync();
    expect(h.status().failed).toBe(1);
  });

  it('lengthens the back-off with ignored failures without counting them', () => {
    const h = new Harness({ backoffLimit: 0, podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [9] } }] } }).sync();
    h.exit(h.running()[0]!, 9).sync();
    expect(h.requeues.at(-1)).toBe(10_000);
    h.time += 10_000;
    h.sync().exit(h.running()[0]!, 9).sync();
    expect(h.requeues.at(-1)).toBe(20_000);
    expect(h.status().failed).toBeUndefined();
    expect(h.controller.isFinished).toBe(false);
  });

  it('passes the per-index failure count to the replacement pod and fails the index at the limit', () => {
    const h = new Harness({ completions: 2, parallelism: 2, completionMode: 'Indexed', backoffLimitPerIndex: 1 }).sync();
    expect(h.podOf(1).annotations['batch.kubernetes.io/job-index-failure-count']).toBe('0');
    h.exit(h.podOf(1), 1).sync();
    h.time += 10_000;
    h.sync();
    expect(h.podOf(1).annotations['batch.kubernetes.io/job-index-failure-count']).toBe('1');
    h.sync();
    expect(h.status().failed).toBe(1);
    h.exit(h.podOf(1), 1).sync();
    expect(h.status().failedIndexes).toBe('1');
    expect(h.controller.isFinished).toBe(false);
    h.exit(h.podOf(0), 0).sync();
    expect(h.conditionTypes()).toEqual(['FailureTarget:FailedIndexes', 'Failed:FailedIndexes']);
    expect(h.status()).toMatchObject({ failed: 2, succeeded: 1, completedIndexes: '0', failedIndexes: '1' });
  });

  it('leaves a pod still running for an index that has failed to end, as upstream does', () => {
    const h = new Harness({
      completions: 2,
      parallelism: 2,
      completionMode: 'Indexed',
      backoffLimitPerIndex: 3,
      podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [65] } }] },
    }).sync();
    const dup = h.controller.newPod(h.time, 0);
    dup.phase = 'Running';
    dup.ready = true;
    dup.readySince = h.time - 1;
    h.pods.push(dup);
    h.exit(h.pods.find((p) => p.index === 0 && p !== dup)!, 65).sync();
    expect(h.status().failedIndexes).toBe('0');
    // activePodsForRemoval upstream removes duplicates and out-of-range indexes only.
    expect(h.deleted).toEqual([]);
    expect(h.status().active).toBe(2);
  });

  it('sums OnFailure restarts of running pods against backoffLimit', () => {
    const h = new Harness({ backoffLimit: 2 }, { restartPolicy: 'OnFailure' }).sync();
    const pod = h.running()[0]!;
    pod.container.restartCount = 1;
    h.sync();
    expect(h.controller.isFinished).toBe(false);
    pod.container.restartCount = 2;
    h.sync();
    expect(h.conditionTypes()).toEqual(['FailureTarget:BackoffLimitExceeded']);
  });

  it('completes a work-queue Job (no completions) once one pod succeeded and the rest are done', () => {
    const h = new Harness({ parallelism: 3 }).sync();
    const [a, b, c] = h.running();
    h.exit(a!, 0).sync();
    expect(h.running()).toHaveLength(2);
    expect(h.controller.isFinished).toBe(false);
    h.exit(b!, 0).exit(c!, 1).sync();
    expect(h.conditionTypes()).toEqual(['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']);
    expect(h.status()).toMatchObject({ succeeded: 2, failed: 1 });
  });

  it('keeps SuccessCriteriaMet final and does not count lingering pods as failed', () => {
    const h = new Harness({ completions: 3, parallelism: 3, completionMode: 'Indexed', successPolicy: { rules: [{ succeededCount: 1 }] } }).sync();
    h.exit(h.podOf(2), 0).sync();
    expect(h.conditionTypes()).toEqual(['SuccessCriteriaMet:SuccessPolicy']);
    expect(h.deleted.map((p) => p.index)).toEqual([0, 1]);
    for (const p of h.deleted) h.exit(p, 143);
    h.sync();
    expect(h.conditionTypes()).toEqual(['SuccessCriteriaMet:SuccessPolicy', 'Complete:SuccessPolicy']);
    expect(h.status().failed).toBeUndefined();
    expect(h.status().completionTime).toBeDefined();
  });
});

describe('generateNamePrefix', () => {
  it('cuts a pod name prefix to 58 characters as the API server does, keeping an Indexed Job its -<index>-', () => {
    expect(generateNamePrefix('etl', undefined)).toBe('etl-');
    expect(generateNamePrefix('etl', 12)).toBe('etl-12-');
    const long = 'a'.repeat(60);
    expect(generateNamePrefix(long, undefined)).toBe('a'.repeat(58));
    expect(generateNamePrefix(long, 3)).toBe(`${'a'.repeat(55)}-3-`);
    expect(generateNamePrefix(long, 3)).toHaveLength(58);
    expect(generateNamePrefix('b'.repeat(54), 7)).toBe(`${'b'.repeat(54)}-7-`);
  });
});
