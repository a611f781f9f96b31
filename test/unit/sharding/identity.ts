import type { JobIdentity } from '../../../src/runtime/types.ts';

/** A job identity for tests. */
export function testIdentity(overrides: Partial<JobIdentity> = {}): JobIdentity {
  return {
    platform: 'local',
    jobName: 'etl',
    namespace: 'default',
    podName: undefined,
    podUid: undefined,
    nodeName: undefined,
    index: 0,
    count: 1,
    attempt: 0,
    ...overrides,
  };
}
