/**
 * One table (runtime/identity-env.ts) names the identity variables: what
 * resolveIdentity reads is exactly what a generated manifest writes.
 */
import { describe, expect, it } from 'vitest';
import { generateJobManifest } from '../../../src/local/manifest-generator.ts';
import { IDENTITY_ENV } from '../../../src/runtime/identity-env.ts';
import { resolveIdentity } from '../../../src/runtime/identity.ts';

describe('the identity env table', () => {
  it('a generated manifest writes every identity variable the table sources from Kubernetes, from the table', () => {
    const job = generateJobManifest({ name: 'etl', image: 'etl:1', completions: 4 });
    const env = job.spec.template.spec.containers[0]!.env ?? [];
    for (const { env: name, kubernetes } of Object.values(IDENTITY_ENV)) {
      const written = env.filter((e) => e.name === name);
      if (kubernetes === 'completions') expect(written, name).toEqual([{ name, value: '4' }]);
      else if (typeof kubernetes === 'object') expect(written, name).toEqual([{ name, valueFrom: { fieldRef: { fieldPath: kubernetes.fieldPath } } }]);
      else expect(written, name).toEqual([]);
    }
  });

  it('resolveIdentity reads each variable of the table into its field', () => {
    const values = {
      jobName: 'etl', namespace: 'batch', podName: 'etl-2-abcde', podUid: 'uid-1', nodeName: 'node-a', attempt: 3, count: 4, index: 2, platform: 'kubernetes',
      cronJobName: 'etl-nightly', scheduledTime: new Date('2026-11-30T02:00:00Z'), trigger: 'manual',
    } as const;
    const text = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
    const env = Object.fromEntries(Object.entries(IDENTITY_ENV).map(([field, { env: name }]) => [name, text(values[field as keyof typeof values])]));
    expect(resolveIdentity(env)).toEqual(values);
  });

  it('a bad value names the variable from the table', () => {
    expect(() => resolveIdentity({ [IDENTITY_ENV.count.env]: 'four' })).toThrow(/JOBKIT_COUNT/);
  });
});
