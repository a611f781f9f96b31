import type { JobIdentity } from '../../src/runtime/types.ts';

/** A job identity for tests: index 0 of 1 of the local job `etl`, with pod fields set. */
export function testIdentity(overrides: Partial<JobIdentity> = {}): JobIdentity {
  return {
    platform: 'local',
    jobName: 'etl',
    namespace: 'default',
    podName: 'etl-0-abcde',
    podUid: 'uid-1',
    nodeName: 'node-a',
    index: 0,
    count: 1,
    attempt: 0,
    ...overrides,
  };
}
