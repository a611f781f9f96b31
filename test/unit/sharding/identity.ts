import type { JobIdentity } from '../../../src/runtime/types.ts';
import { testIdentity as baseIdentity } from '../../support/identity.ts';

/** A job identity for tests, without pod fields. */
export function testIdentity(overrides: Partial<JobIdentity> = {}): JobIdentity {
  return baseIdentity({ podName: undefined, podUid: undefined, nodeName: undefined, ...overrides });
}
