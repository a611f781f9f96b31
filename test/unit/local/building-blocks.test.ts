/**
 * The emulator's building blocks: index intervals, $(VAR) expansion, back-off,
 * podFailurePolicy and successPolicy matching, chaos planning.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { remainingBackoffMs } from '../../../src/local/backoff.ts';
import { parseChaosSpec, planChaos } from '../../../src/local/chaos.ts';
import { expandVariables } from '../../../src/local/expansion.ts';
import { IndexSet, checkIndexesFormat } from '../../../src/local/intervals.ts';
import { matchPodFailurePolicy } from '../../../src/local/pod-failure-policy.ts';
import type { LocalPod } from '../../../src/local/pod.ts';
import { podProcessSpec } from '../../../src/local/pod-env.ts';
import { crashLoopDelayMs, effectiveGracePeriodSeconds } from '../../../src/local/pod-runner.ts';
import { SeededRandom } from '../../../src/local/rng.ts';
import { matchSuccessPolicy } from '../../../src/local/success-policy.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';

function failedPod(exitCode: number, conditions: LocalPod['conditions'] = []): LocalPod {
  return {
    uid: 'u',
    name: 'p-0-abcde',
    namespace: 'ns',
    hostname: 'p-0',
    index: 0,
    labels: {},
    annotations: {},
    creationTime: 0,
    phase: 'Failed',
    ready: false,
    conditions,
    container: { name: 'main', restartCount: 0, terminated: { exitCode, reason: 'Error', finishedAt: 1 } },
    trackingFinalizer: true,
  };
}

describe('IndexSet', () => {
  it('compresses runs of 3+ as a-b and pairs as a,b', () => {
    expect(IndexSet.of([7, 1, 3, 4, 5]).toString()).toBe('1,3-5,7');
    expect(IndexSet.of([0, 1]).toString()).toBe('0,1');
    expect(IndexSet.of([]).toString()).toBe('');
  });

  it('round-trips any set through its text form', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 200 })), (xs) => {
        const s = IndexSet.of(xs);
        expect(IndexSet.parse(s.toString(), 201).toString()).toBe(s.toString());
        expect(s.total).toBe(xs.length);
        for (const x of xs) expect(s.has(x)).toBe(true);
      }),
    );
  });

  it('validates succeededIndexes strictly', () => {
    expect(checkIndexesFormat('0,2-4', 5)).toEqual({ total: 4 });
    expect(checkIndexesFormat('3,1', 5)).toEqual({ error: 'non-increasing order, previous: 3, current: 1' });
    expect(checkIndexesFormat('9', 5)).toEqual({ error: 'too large index: "9"' });
    expect(checkIndexesFormat('a', 5)).toEqual({ error: 'cannot convert string to integer for index: "a"' });
  });
});

describe('expandVariables', () => {
  const env = (n: string): string | undefined => ({ A: 'x', B: 'y' })[n];
  it('expands defined variables, keeps undefined ones and unescapes $$', () => {
    expect(expandVariables('$(A)-$(B)-$(C)', env)).toBe('x-y-$(C)');
    expect(expandVariables('$$(A) $$ $', env)).toBe('$(A) $ $');
    expect(expandVariables('$(A', env)).toBe('$(A');
    expect(expandVariables('a$b', env)).toBe('a$b');
    // An unterminated reference keeps "$(" and scanning goes on after it.
    expect(expandVariables('$(A $$', env)).toBe('$(A $');
  });
});

describe('kubelet timings', () => {
  it('restarts a crashed container at once, then after 10 s doubling up to 5 min', () => {
    expect([0, 1, 2, 3, 9].map(crashLoopDelayMs)).toEqual([0, 10_000, 20_000, 40_000, 300_000]);
  });

  it('gives a deleted pod at least 2 s of grace (kubelet minimumGracePeriodInSeconds)', () => {
    expect(effectiveGracePeriodSeconds(0)).toBe(2);
    expect(effectiveGracePeriodSeconds(1)).toBe(2);
    expect(effectiveGracePeriodSeconds(5)).toBe(5);
    expect(effectiveGracePeriodSeconds(30)).toBe(30);
  });
});

describe('podProcessSpec', () => {
  it('expands only declared variables: HOSTNAME reaches the process but not $(HOSTNAME)', () => {
    const placement = { nodeName: 'n', hostIP: '127.0.0.1', podIP: '127.0.0.1', serviceAccountName: 'default' };
    const pod = { ...failedPod(0), phase: 'Running' as const, annotations: { 'batch.kubernetes.io/job-completion-index': '0' }, labels: { 'batch.kubernetes.io/job-completion-index': '0' } };
    const spec = podProcessSpec(pod, { name: 'main', command: ['echo', '$(HOSTNAME)', '$(JOB_COMPLETION_INDEX)', '$(X)'], env: [{ name: 'X', value: 'h=$(HOSTNAME)' }] }, { indexed: true, placement });
    expect(spec.args).toEqual(['$(HOSTNAME)', '0', 'h=$(HOSTNAME)']);
    expect(spec.containerEnv).toMatchObject({ HOSTNAME: 'p-0', JOB_COMPLETION_INDEX: '0', X: 'h=$(HOSTNAME)' });
    const declared = podProcessSpec(pod, { name: 'main', command: ['$(HOSTNAME)'], env: [{ name: 'HOSTNAME', value: 'mine' }] }, { indexed: false, placement });
    expect(declared.file).toBe('mine');
    expect(declared.containerEnv['HOSTNAME']).toBe('mine');
  });
});

describe('re-creation back-off', () => {
  it('doubles from 10 s and caps at 10 min', () => {
    expect(remainingBackoffMs(1, 0, 0, 10_000, 600_000)).toBe(10_000);
    expect(remainingBackoffMs(3, 0, 5_000, 10_000, 600_000)).toBe(35_000);
    expect(remainingBackoffMs(20, 0, 0, 10_000, 600_000)).toBe(600_000);
    expect(remainingBackoffMs(1, 0, 11_000, 10_000, 600_000)).toBe(0);
    expect(remainingBackoffMs(0, undefined, 0, 10_000, 600_000)).toBe(0);
  });
});

describe('matchPodFailurePolicy', () => {
  it('takes the first matching rule and writes the controller message', () => {
    const policy = {
      rules: [
        { action: 'Ignore' as const, onPodConditions: [{ type: 'DisruptionTarget', status: 'True' as const }] },
        { action: 'FailJob' as const, onExitCodes: { containerName: 'main', operator: 'In' as const, values: [3] } },
        { action: 'Count' as const, onExitCodes: { operator: 'NotIn' as const, values: [3] } },
      ],
    };
    expect(matchPodFailurePolicy(policy, failedPod(3))).toEqual({
      failJobMessage: 'Container main for pod ns/p-0-abcde failed with exit code 3 matching FailJob rule at index 1',
      countFailed: true,
      action: 'FailJob',
    });
    expect(matchPodFailurePolicy(policy, failedPod(3, [{ type: 'DisruptionTarget', status: 'True', lastTransitionTime: 0 }]))).toEqual({
      countFailed: false,
      action: 'Ignore',
    });
    expect(matchPodFailurePolicy(policy, failedPod(4)).action).toBe('Count');
  });

  it('never matches exit code 0 or another container name', () => {
    const notIn = { rules: [{ action: 'FailJob' as const, onExitCodes: { operator: 'NotIn' as const, values: [1] } }] };
    expect(matchPodFailurePolicy(notIn, failedPod(0)).action).toBeUndefined();
    const other = { rules: [{ action: 'FailJob' as const, onExitCodes: { containerName: 'sidecar', operator: 'In' as const, values: [1] } }] };
    expect(matchPodFailurePolicy(other, failedPod(1))).toEqual({ countFailed: true });
  });

  it('writes the pod-condition message for FailJob on a condition', () => {
    const policy = { rules: [{ action: 'FailJob' as const, onPodConditions: [{ type: 'DisruptionTarget', status: 'True' as const }] }] };
    const m = matchPodFailurePolicy(policy, failedPod(143, [{ type: 'DisruptionTarget', status: 'True', lastTransitionTime: 0 }]));
    expect(m.failJobMessage).toBe('Pod ns/p-0-abcde has condition DisruptionTarget matching FailJob rule at index 0');
  });
});

describe('matchSuccessPolicy', () => {
  it('implements the three rule kinds', () => {
    const done = IndexSet.of([0, 2, 3]);
    expect(matchSuccessPolicy({ rules: [{ succeededIndexes: '0,2' }] }, 5, done)).toBe('Matched rules at index 0');
    expect(matchSuccessPolicy({ rules: [{ succeededIndexes: '0-1' }] }, 5, done)).toBeUndefined();
    expect(matchSuccessPolicy({ rules: [{ succeededIndexes: '0-1' }, { succeededCount: 3 }] }, 5, done)).toBe('Matched rules at index 1');
    expect(matchSuccessPolicy({ rules: [{ succeededIndexes: '1-3', succeededCount: 2 }] }, 5, done)).toBe('Matched rules at index 0');
    expect(matchSuccessPolicy({ rules: [{ succeededIndexes: '1-3', succeededCount: 3 }] }, 5, done)).toBeUndefined();
  });
});

describe('chaos', () => {
  it('parses specs and rejects unknown kinds naming the option', () => {
    expect(parseChaosSpec('preempt=2,kill=1,duplicate')).toEqual({ preempt: 2, kill: 1, duplicate: 1 });
    expect(() => parseChaosSpec('nuke=1')).toThrow(ConfigurationError);
    expect(() => parseChaosSpec('kill=x')).toThrow('--chaos: count for kill must be an integer >= 0, got "x"');
  });

  it('plans the same actions for the same seed', () => {
    const spec = { preempt: 2, kill: 1, duplicate: 1 };
    const window = { podStarts: 10, minDelayMs: 50, maxDelayMs: 1000 };
    const a = planChaos(spec, new SeededRandom(9), window);
    expect(planChaos(spec, new SeededRandom(9), window)).toEqual(a);
    expect(a.map((x) => x.kind).sort()).toEqual(['duplicate', 'kill', 'preempt', 'preempt']);
    for (const x of a) {
      expect(x.afterPodStart).toBeGreaterThanOrEqual(1);
      expect(x.afterPodStart).toBeLessThanOrEqual(10);
    }
  });
});
