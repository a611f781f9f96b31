/**
 * API-server validation and defaulting of Job manifests, and the manifest
 * generator's policy.
 */
import { describe, expect, it } from 'vitest';
import { loadJobManifest } from '../../../src/local/emulator.ts';
import { InvalidManifestError } from '../../../src/local/errors.ts';
import { generateJobManifest, podFailurePolicyForExitCodes } from '../../../src/local/manifest-generator.ts';
import { SeededRandom } from '../../../src/local/rng.ts';
import { EXIT_CODE_TABLE } from '../../../src/runtime/exit-codes.ts';

function manifest(spec: Record<string, unknown>, pod: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'v' },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', ...pod, containers: [{ name: 'main', image: 'x', command: ['true'] }] } } },
  };
}

function errorsOf(m: Record<string, unknown>): string[] {
  try {
    loadJobManifest(m, new SeededRandom(1));
    return [];
  } catch (err) {
    if (!(err instanceof InvalidManifestError)) throw err;
    return err.fieldErrors.map((e) => `${e.field}: ${e.body}`);
  }
}

describe('loadJobManifest', () => {
  it('refuses, for every caller of the emulator, a JOBKIT_COUNT that differs from completions and an env name set twice', () => {
    const env = (entries: Array<[string, string]>) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'v' },
      spec: {
        completionMode: 'Indexed',
        completions: 3,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x', command: ['true'], env: entries.map(([name, value]) => ({ name, value })) }] } },
      },
    });
    const mismatch = errorsOf(env([['JOBKIT_COUNT', '4']])).join('\n');
    expect(mismatch).toContain('4');
    expect(mismatch).toContain('3');
    expect(errorsOf(env([['JOBKIT_COUNT', '3'], ['JOBKIT_COUNT', '3']])).join('\n')).toMatch(/JOBKIT_COUNT/);
    expect(errorsOf(env([['JOBKIT_COUNT', '3']]))).toEqual([]);
  });

  it('applies the API defaults', () => {
    const job = loadJobManifest(manifest({}), new SeededRandom(1));
    expect(job.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', podReplacementPolicy: 'TerminatingOrFailed', suspend: false });
    expect(job.metadata.namespace).toBe('default');
    expect(job.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    const perIndex = loadJobManifest(manifest({ completionMode: 'Indexed', completions: 2, backoffLimitPerIndex: 1 }), new SeededRandom(1));
    expect(perIndex.spec.backoffLimit).toBe(2147483647);
    const workQueue = loadJobManifest(manifest({ parallelism: 3 }), new SeededRandom(1));
    expect(workQueue.spec.completions).toBeUndefined();
    const withPolicy = loadJobManifest(
      manifest({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }),
      new SeededRandom(1),
    );
    expect(withPolicy.spec.podReplacementPolicy).toBe('Failed');
    expect(withPolicy.spec.podFailurePolicy!.rules[0]!.onPodConditions![0]!.status).toBe('True');
  });

  it('reports every error with its field path', () => {
    expect(
      errorsOf(
        manifest({
          completionMode: 'Indexed',
          completions: 2,
          backoffLimitPerIndex: 1,
          maxFailedIndexes: 3,
          podFailurePolicy: {
            rules: [
              { action: 'FailJob', onExitCodes: { operator: 'In', values: [0, 2, 1] } },
              { action: 'Retry', onExitCodes: { operator: 'Maybe', values: [1], containerName: 'nope' } },
              { action: 'Ignore' },
            ],
          },
          successPolicy: { rules: [{ succeededIndexes: '0-5', succeededCount: 3 }, {}] },
        }),
      ),
    ).toEqual([
      'spec.maxFailedIndexes: Invalid value: 3: must be less than or equal to completions',
      'spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator',
      'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: [0,2,1]: must be ordered',
      'spec.podFailurePolicy.rules[1].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
      'spec.podFailurePolicy.rules[1].onExitCodes.operator: Unsupported value: "Maybe": supported values: "In", "NotIn"',
      'spec.podFailurePolicy.rules[1].onExitCodes.containerName: Invalid value: "nope": must be one of the container or initContainer names in the pod template',
      'spec.podFailurePolicy.rules[2]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
      'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "0-5": error parsing succeededIndexes: too large index: "5"',
      'spec.successPolicy.rules[0].succeededCount: Invalid value: 3: must be less than or equal to 2 (the number of specified completions)',
      'spec.successPolicy.rules[0].succeededCount: Invalid value: 3: must be less than or equal to 0 (the number of indexes in the specified succeededIndexes field)',
      'spec.successPolicy.rules[1]: Required value: at least one of succeededCount or succeededIndexes must be specified',
    ]);
  });

  it('rejects type errors, too many rules and bad fieldRefs', () => {
    expect(errorsOf(manifest({ parallelism: 'two' }))).toEqual(['spec.parallelism: Invalid value: "two": must be an integer']);
    const rules = Array.from({ length: 21 }, () => ({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }));
    expect(errorsOf(manifest({ podFailurePolicy: { rules } }))).toEqual(['spec.podFailurePolicy.rules: Too many: 21: must have at most 20 items']);
    const m = manifest({});
    (m['spec'] as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0]!['env'] = [
      { name: 'X', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } },
    ];
    expect(errorsOf(m)[0]).toMatch(/^spec\.template\.spec\.containers\[0\]\.env\[0\]\.valueFrom\.fieldRef\.fieldPath: Unsupported value: "status\.phase"/);
  });

  it('words restartPolicy errors as the API server does', () => {
    // Always (and a missing value, which the API server defaults to Always) is a Required error.
    const always = 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"';
    expect(errorsOf(manifest({}, { restartPolicy: 'Always' }))).toEqual([always]);
    const m = manifest({});
    delete (m['spec'] as { template: { spec: Record<string, unknown> } }).template.spec['restartPolicy'];
    expect(errorsOf(m)).toEqual([always]);
    // An unknown value fails the pod template's own check, then the Job's.
    expect(errorsOf(manifest({}, { restartPolicy: 'Sometimes' }))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
    ]);
  });

  it('prints exit-code lists as JSON (1.34+) and validates condition types as label keys', () => {
    const rule = (onExitCodes: object): Record<string, unknown> => ({ podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes }] } });
    expect(errorsOf(manifest(rule({ operator: 'In', values: [] })))).toEqual([
      'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []: at least one value is required',
    ]);
    expect(errorsOf(manifest(rule({ operator: 'NotIn', values: [19, 11] })))).toEqual([
      'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: [19,11]: must be ordered',
    ]);
    const conditions = (type: string): Record<string, unknown> => ({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type }] }] } });
    const qualified =
      "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    expect(errorsOf(manifest(conditions('Invalid Condition Type')))).toEqual([
      `spec.podFailurePolicy.rules[0].onPodConditions[0].type: Invalid value: "Invalid Condition Type": name part ${qualified}`,
    ]);
    expect(errorsOf(manifest(conditions('')))).toEqual([
      'spec.podFailurePolicy.rules[0].onPodConditions[0].type: Invalid value: "": name part must be non-empty',
      `spec.podFailurePolicy.rules[0].onPodConditions[0].type: Invalid value: "": name part ${qualified}`,
    ]);
    expect(errorsOf(manifest(conditions('example.com/Ready')))).toEqual([]);
    expect(errorsOf(manifest(conditions(`x.io/${'n'.repeat(64)}`)))).toEqual([
      `spec.podFailurePolicy.rules[0].onPodConditions[0].type: Invalid value: "x.io/${'n'.repeat(64)}": name part must be no more than 63 bytes`,
    ]);
  });

  it('checks every exit code even when there are more than 255 of them', () => {
    const values = [0, ...Array.from({ length: 256 }, (_, i) => 256 - i)];
    const errors = errorsOf(manifest({ podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values } }] } }));
    expect(errors[0]).toBe('spec.podFailurePolicy.rules[0].onExitCodes.values: Too many: 257: must have at most 255 items');
    expect(errors[1]).toBe('spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator');
    expect(errors.at(-1)).toMatch(/^spec\.podFailurePolicy\.rules\[0\]\.onExitCodes\.values: Invalid value: \[0,256,255,.*,1\]: must be ordered$/);
  });

  it('parses succeededIndexes as the API server does: empty is valid, an interval needs two different ends', () => {
    const policy = (succeededIndexes: string, extra: object = {}): Record<string, unknown> => ({
      completionMode: 'Indexed',
      completions: 3,
      successPolicy: { rules: [{ succeededIndexes, ...extra }] },
    });
    expect(errorsOf(manifest(policy('')))).toEqual([]);
    expect(errorsOf(manifest(policy('1-1')))).toEqual([
      'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "1-1": error parsing succeededIndexes: non-increasing order, previous: 1, current: 1',
    ]);
    expect(errorsOf(manifest(policy('+1', { succeededCount: 2 })))).toEqual([
      'spec.successPolicy.rules[0].succeededCount: Invalid value: 2: must be less than or equal to 1 (the number of indexes in the specified succeededIndexes field)',
    ]);
    expect(errorsOf(manifest(policy('0,0')))).toEqual([
      'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "0,0": error parsing succeededIndexes: non-increasing order, previous: 0, current: 0',
    ]);
  });

  it('prints a bad successPolicy as the JSON of its Go type', () => {
    expect(errorsOf(manifest({ completions: 2, successPolicy: { rules: [{ succeededCount: 1 }] } }))).toEqual([
      'spec.successPolicy: Invalid value: {"Rules":[{"SucceededIndexes":null,"SucceededCount":1}]}: requires indexed completion mode',
    ]);
  });

  it('validates spec.managedBy as a domain-prefixed path of at most 63 characters, and refuses to run one managed elsewhere', () => {
    expect(errorsOf(manifest({ managedBy: 'not a path' }))).toEqual([
      'spec.managedBy: Invalid value: "not a path": must be a domain-prefixed path (such as "acme.io/foo")',
    ]);
    expect(errorsOf(manifest({ managedBy: `example.com/${'x'.repeat(60)}` }))).toEqual(['spec.managedBy: Too long: may not be more than 63 bytes']);
    expect(errorsOf(manifest({ managedBy: 'Example.com/x' }))[0]).toMatch(/^spec\.managedBy: Invalid value: "Example\.com": a lowercase RFC 1123 subdomain/);
    expect(errorsOf(manifest({ managedBy: 'kubernetes.io/job-controller' }))).toEqual([]);
    expect(errorsOf(manifest({ managedBy: 'example.com/queue' }))).toEqual([
      'spec.managedBy: Invalid value: "example.com/queue": the built-in Job controller leaves a Job managed by another controller alone, so jobkit run has nothing to run; remove spec.managedBy or set it to "kubernetes.io/job-controller"',
    ]);
  });

  it('applies the completions soft limit of backoffLimitPerIndex instead of a cap', () => {
    const big = { completionMode: 'Indexed', completions: 100_001, backoffLimitPerIndex: 1 };
    expect(errorsOf(manifest({ ...big, parallelism: 10_001 }))).toEqual([
      'spec.maxFailedIndexes: Required value: must be specified when completions is above 100000',
      'spec.parallelism: Invalid value: 10001: must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index',
    ]);
    expect(errorsOf(manifest({ ...big, parallelism: 10, maxFailedIndexes: 10_001 }))).toEqual([
      'spec.maxFailedIndexes: Invalid value: 10001: must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index',
    ]);
    expect(errorsOf(manifest({ ...big, parallelism: 10, maxFailedIndexes: 10 }))).toEqual([]);
  });

  it('reports only NotSupported for an unknown completionMode, and the pod hostname check last', () => {
    expect(errorsOf(manifest({ completionMode: 'Sometimes', backoffLimitPerIndex: 1 }))).toEqual([
      'spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"',
    ]);
    const m = manifest({ completionMode: 'Indexed', completions: 10 }, { restartPolicy: 'Always' });
    (m['metadata'] as Record<string, unknown>)['name'] = 'a'.repeat(62);
    expect(errorsOf(m)).toEqual([
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      `metadata.name: Invalid value: "${'a'.repeat(62)}": will not able to create pod with invalid DNS label: ${'a'.repeat(62)}-9`,
    ]);
  });

  it('gives the full RFC 1123 label message for a bad namespace', () => {
    const m = manifest({});
    (m['metadata'] as Record<string, unknown>)['namespace'] = 'Bad_NS';
    expect(errorsOf(m)).toEqual([
      "metadata.namespace: Invalid value: \"Bad_NS\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
  });

  it('rejects backoffLimitPerIndex and maxFailedIndexes on NonIndexed Jobs', () => {
    expect(errorsOf(manifest({ backoffLimitPerIndex: 1 }))).toEqual(['spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode']);
  });

  it('rejects a container without command, which the emulator cannot run', () => {
    const m = manifest({});
    delete (m['spec'] as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0]!['command'];
    expect(errorsOf(m)).toEqual([
      'spec.template.spec.containers[0].command: Required value: jobkit run has no container image to take an entrypoint from; set command',
    ]);
  });

  it('names the manifest problem for unparsable text', () => {
    expect(() => loadJobManifest('a: [', new SeededRandom(1))).toThrow(InvalidManifestError);
    expect(() => loadJobManifest('---\na: 1\n---\nb: 2\n', new SeededRandom(1))).toThrow('holds 2 documents');
  });
});

describe('generateJobManifest', () => {
  it('produces a manifest the emulator accepts', () => {
    const job = generateJobManifest({ name: 'etl', image: 'i', command: ['node', 'main.js'], completions: 5, maxFailedIndexes: 2 });
    expect(() => loadJobManifest(JSON.parse(JSON.stringify(job)) as object, new SeededRandom(1))).not.toThrow();
    expect(job.spec).toMatchObject({ completions: 5, parallelism: 5, backoffLimitPerIndex: 3, maxFailedIndexes: 2 });
  });

  it('generates one rule per non-Count action of the exit-code table', () => {
    const policy = podFailurePolicyForExitCodes({ containerName: 'main', perIndex: true });
    const actions = new Set(EXIT_CODE_TABLE.map((e) => e.action).filter((a) => a !== 'none' && a !== 'Count'));
    expect(policy.rules.slice(1).map((r) => r.action).sort()).toEqual([...actions].sort());
    for (const rule of policy.rules.slice(1)) {
      const values = rule.onExitCodes!.values;
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(values).not.toContain(0);
    }
  });

  it('names the option in configuration errors', () => {
    expect(() => generateJobManifest({ name: 'x', image: 'i', completions: 0 })).toThrow('--completions must be an integer >= 1, got 0');
    expect(() => generateJobManifest({ name: 'x', image: 'i', maxFailedIndexes: 2, completions: 1 })).toThrow('--max-failed-indexes must be <= --completions (1), got 2');
    expect(() => generateJobManifest({ name: 'x', image: 'i', env: [['JOBKIT_COUNT', '3']] })).toThrow('--env JOBKIT_COUNT is set by the manifest itself');
  });
});
